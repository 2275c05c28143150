"""purchases

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-21 14:37:59.192439
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_actions",
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "subject_type IN ('expense', 'bill')", name=op.f("ck_approval_actions_subject_type")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_actions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_actions")),
    )
    with op.batch_alter_table("approval_actions", schema=None) as batch_op:
        batch_op.create_index("ix_approval_actions_subject", ["subject_id", "at"], unique=False)

    op.create_table(
        "expense_reimbursements",
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_expense_reimbursements_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_expense_reimbursements_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_expense_reimbursements_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_expense_reimbursements_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_reimbursements")),
    )
    with op.batch_alter_table("expense_reimbursements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_expense_reimbursements_listing", ["organization_id", "date", "id"], unique=False
        )

    op.create_table(
        "purchase_documents",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_number", sa.String(length=60), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("payment_terms", sa.String(length=30), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "exchange_rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("project", sa.String(length=60), nullable=True),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("duplicate_of_id", sa.Uuid(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("approval_steps", sa.JSON(), nullable=False),
        sa.Column("approvals_done", sa.BigInteger(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("self_approved", sa.Boolean(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('bill', 'credit_note')", name=op.f("ck_purchase_documents_kind")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["purchase_documents.id"],
            name=op.f("fk_purchase_documents_duplicate_of_id_purchase_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_purchase_documents_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_documents_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_purchase_documents_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["purchase_documents.id"],
            name=op.f("fk_purchase_documents_source_id_purchase_documents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_documents")),
    )
    with op.batch_alter_table("purchase_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_documents_listing",
            ["organization_id", "kind", "issue_date", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_documents_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_documents_status", ["organization_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_documents_supplier_number",
            ["organization_id", "party_id", "supplier_number"],
            unique=False,
        )

    op.create_table(
        "supplier_payments",
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "exchange_rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('in', 'out')", name=op.f("ck_supplier_payments_direction")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_supplier_payments_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_supplier_payments_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_supplier_payments_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_supplier_payments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_supplier_payments_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_payments")),
    )
    with op.batch_alter_table("supplier_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supplier_payments_listing", ["organization_id", "date", "id"], unique=False
        )
        batch_op.create_index(
            "ix_supplier_payments_party", ["organization_id", "party_id"], unique=False
        )

    op.create_table(
        "expenses",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=True),
        sa.Column("supplier_name", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "exchange_rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("tax_codes", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("paid_by", sa.String(length=10), nullable=False),
        sa.Column("payment_account_id", sa.Uuid(), nullable=True),
        sa.Column("employee_id", sa.Uuid(), nullable=True),
        sa.Column("project", sa.String(length=60), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reimbursement_id", sa.Uuid(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("approval_steps", sa.JSON(), nullable=False),
        sa.Column("approvals_done", sa.BigInteger(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("self_approved", sa.Boolean(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("paid_by IN ('company', 'employee')", name=op.f("ck_expenses_paid_by")),
        sa.CheckConstraint("gross > 0", name=op.f("ck_expenses_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_expenses_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_expenses_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_expenses_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_expenses_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_account_id"],
            ["accounts.id"],
            name=op.f("fk_expenses_payment_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reimbursement_id"],
            ["expense_reimbursements.id"],
            name=op.f("fk_expenses_reimbursement_id_expense_reimbursements"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
    )
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_expenses_employee", ["organization_id", "employee_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_expenses_listing", ["organization_id", "date", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_expenses_party_id"), ["party_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_expenses_reimbursement_id"), ["reimbursement_id"], unique=False
        )
        batch_op.create_index("ix_expenses_status", ["organization_id", "status"], unique=False)

    op.create_table(
        "purchase_allocations",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(payment_id IS NULL) <> (credit_note_id IS NULL)",
            name=op.f("ck_purchase_allocations_one_source"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_purchase_allocations_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["purchase_documents.id"],
            name=op.f("fk_purchase_allocations_credit_note_id_purchase_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["purchase_documents.id"],
            name=op.f("fk_purchase_allocations_document_id_purchase_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_allocations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["supplier_payments.id"],
            name=op.f("fk_purchase_allocations_payment_id_supplier_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_allocations")),
    )
    with op.batch_alter_table("purchase_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_allocations_credit_note_id"), ["credit_note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_allocations_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_allocations_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "purchase_document_lines",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "quantity",
            sa.String(length=64).with_variant(sa.Numeric(18, 6), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "unit_price",
            sa.String(length=64).with_variant(sa.Numeric(18, 6), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "discount_percent",
            sa.String(length=64).with_variant(sa.Numeric(7, 4), "postgresql"),
            nullable=False,
        ),
        sa.Column("tax_codes", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_purchase_document_lines_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["purchase_documents.id"],
            name=op.f("fk_purchase_document_lines_document_id_purchase_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_document_lines_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_purchase_document_lines_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_document_lines")),
    )
    with op.batch_alter_table("purchase_document_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_document_lines_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_purchase_document_lines_product_id"), ["product_id"], unique=False
        )

    # Expenses paid personally are owed to the employee until reimbursed: the French
    # chart's 421 is where they wait. Charts set up from now on carry the subtype.
    op.execute(
        "UPDATE accounts SET subtype = 'employee_payable' "
        "WHERE code = '421' AND subtype IS NULL AND type = 'liability'"
    )


def downgrade() -> None:
    op.execute("UPDATE accounts SET subtype = NULL WHERE subtype = 'employee_payable'")
    with op.batch_alter_table("purchase_document_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_document_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_document_lines_document_id"))

    op.drop_table("purchase_document_lines")
    with op.batch_alter_table("purchase_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_allocations_document_id"))
        batch_op.drop_index(batch_op.f("ix_purchase_allocations_credit_note_id"))

    op.drop_table("purchase_allocations")
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_index("ix_expenses_status")
        batch_op.drop_index(batch_op.f("ix_expenses_reimbursement_id"))
        batch_op.drop_index(batch_op.f("ix_expenses_party_id"))
        batch_op.drop_index("ix_expenses_listing")
        batch_op.drop_index("ix_expenses_employee")

    op.drop_table("expenses")
    with op.batch_alter_table("supplier_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_supplier_payments_party")
        batch_op.drop_index("ix_supplier_payments_listing")

    op.drop_table("supplier_payments")
    with op.batch_alter_table("purchase_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_documents_supplier_number")
        batch_op.drop_index("ix_purchase_documents_status")
        batch_op.drop_index(batch_op.f("ix_purchase_documents_source_id"))
        batch_op.drop_index("ix_purchase_documents_listing")

    op.drop_table("purchase_documents")
    with op.batch_alter_table("expense_reimbursements", schema=None) as batch_op:
        batch_op.drop_index("ix_expense_reimbursements_listing")

    op.drop_table("expense_reimbursements")
    with op.batch_alter_table("approval_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_actions_subject")

    op.drop_table("approval_actions")

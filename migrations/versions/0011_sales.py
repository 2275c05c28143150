"""Sales: documents (quotes, invoices, credit notes), lines, timeline, stored PDFs,
payments and allocations, sales settings.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21 10:47:26.257440
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sales_settings",
        sa.Column("invoice_number_format", sa.String(length=60), nullable=False),
        sa.Column("credit_note_number_format", sa.String(length=60), nullable=False),
        sa.Column("quote_number_format", sa.String(length=60), nullable=False),
        sa.Column("quote_validity_days", sa.BigInteger(), nullable=False),
        sa.Column("quote_approval_threshold", sa.BigInteger(), nullable=True),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("late_payment_terms", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_sales_settings_organization_id")),
    )
    op.create_table(
        "payments",
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
        sa.Column("provider", sa.String(length=30), nullable=True),
        sa.Column("provider_event_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_payments_direction")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_payments_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_payments_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_payments_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "organization_id",
            "provider",
            "provider_event_id",
            name=op.f("uq_payments_organization_id_provider_provider_event_id"),
        ),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_listing", ["organization_id", "date", "id"], unique=False
        )
        batch_op.create_index("ix_payments_party", ["organization_id", "party_id"], unique=False)

    op.create_table(
        "sales_documents",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "exchange_rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("payment_terms", sa.String(length=30), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("seller", sa.JSON(), nullable=True),
        sa.Column("buyer", sa.JSON(), nullable=True),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("public_token", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_name", sa.String(length=200), nullable=True),
        sa.Column("accepted_ip", sa.String(length=45), nullable=True),
        sa.Column("accepted_user_agent", sa.String(length=500), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('quote', 'invoice', 'credit_note')", name=op.f("ck_sales_documents_kind")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_sales_documents_entry_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_documents_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_sales_documents_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_documents_source_id_sales_documents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_documents")),
        sa.UniqueConstraint(
            "organization_id",
            "kind",
            "number",
            name=op.f("uq_sales_documents_organization_id_kind_number"),
        ),
        sa.UniqueConstraint("public_token", name=op.f("uq_sales_documents_public_token")),
    )
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sales_documents_listing",
            ["organization_id", "kind", "issue_date", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_sales_documents_party", ["organization_id", "party_id", "kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_documents_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "sales_allocations",
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
            name=op.f("ck_sales_allocations_one_source"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_sales_allocations_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_allocations_credit_note_id_sales_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_allocations_document_id_sales_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_allocations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_sales_allocations_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_allocations")),
    )
    with op.batch_alter_table("sales_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_allocations_credit_note_id"), ["credit_note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_allocations_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_allocations_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "sales_document_events",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_document_events_document_id_sales_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_document_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_document_events")),
    )
    with op.batch_alter_table("sales_document_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sales_document_events_document", ["document_id", "at"], unique=False
        )

    op.create_table(
        "sales_document_lines",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "quantity",
            sa.String(length=64).with_variant(sa.Numeric(18, 6), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=20), nullable=True),
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
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sales_document_lines_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_document_lines_document_id_sales_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_document_lines_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_sales_document_lines_product_id_products"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_document_lines")),
    )
    with op.batch_alter_table("sales_document_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sales_document_lines_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sales_document_lines_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "sales_document_pdfs",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_document_pdfs_document_id_sales_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_document_pdfs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_sales_document_pdfs")),
    )


def downgrade() -> None:
    op.drop_table("sales_document_pdfs")
    with op.batch_alter_table("sales_document_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_document_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_sales_document_lines_document_id"))

    op.drop_table("sales_document_lines")
    with op.batch_alter_table("sales_document_events", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_document_events_document")

    op.drop_table("sales_document_events")
    with op.batch_alter_table("sales_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_sales_allocations_document_id"))
        batch_op.drop_index(batch_op.f("ix_sales_allocations_credit_note_id"))

    op.drop_table("sales_allocations")
    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_documents_source_id"))
        batch_op.drop_index("ix_sales_documents_party")
        batch_op.drop_index("ix_sales_documents_listing")

    op.drop_table("sales_documents")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_party")
        batch_op.drop_index("ix_payments_listing")

    op.drop_table("payments")
    op.drop_table("sales_settings")

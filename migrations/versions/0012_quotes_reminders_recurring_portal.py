"""Sales, third part: e-mail templates and attachments, payment reminders, recurring
invoices, payment providers and their callbacks, portal members linked to a party.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21 11:47:45.717385
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sales_email_templates",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_email_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_email_templates")),
        sa.UniqueConstraint(
            "organization_id",
            "kind",
            "language",
            name=op.f("uq_sales_email_templates_organization_id_kind_language"),
        ),
    )
    op.create_table(
        "mail_attachments",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["mail_messages.id"],
            name=op.f("fk_mail_attachments_message_id_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachments")),
    )
    with op.batch_alter_table("mail_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_attachments_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "payment_providers",
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_payment_providers_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payment_providers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_providers")),
        sa.UniqueConstraint("key", name=op.f("uq_payment_providers_key")),
        sa.UniqueConstraint(
            "organization_id",
            "provider",
            name=op.f("uq_payment_providers_organization_id_provider"),
        ),
    )
    op.create_table(
        "recurring_invoices",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("payment_terms", sa.String(length=30), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("interval", sa.BigInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("invoices_created", sa.BigInteger(), nullable=False),
        sa.Column("last_invoice_id", sa.Uuid(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('draft', 'issue', 'issue_and_send')",
            name=op.f("ck_recurring_invoices_action"),
        ),
        sa.CheckConstraint(
            "frequency IN ('weekly', 'monthly', 'quarterly', 'yearly')",
            name=op.f("ck_recurring_invoices_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_recurring_invoices_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_recurring_invoices_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_invoices")),
    )
    with op.batch_alter_table("recurring_invoices", schema=None) as batch_op:
        batch_op.create_index("ix_recurring_invoices_due", ["active", "next_date"], unique=False)
        batch_op.create_index(
            "ix_recurring_invoices_listing", ["organization_id", "id"], unique=False
        )

    op.create_table(
        "payment_provider_events",
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_payment_provider_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_provider_events_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_provider_events")),
        sa.UniqueConstraint(
            "organization_id",
            "provider",
            "event_id",
            name=op.f("uq_payment_provider_events_organization_id_provider_event_id"),
        ),
    )
    op.create_table(
        "sales_reminders",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("offset_days", sa.BigInteger(), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("mail_message_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["sales_documents.id"],
            name=op.f("fk_sales_reminders_document_id_sales_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sales_reminders_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_reminders")),
        sa.UniqueConstraint(
            "document_id", "offset_days", name=op.f("uq_sales_reminders_document_id_offset_days")
        ),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_party_id_parties"),
            "parties",
            ["party_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invitations_party_id_parties"),
            "parties",
            ["party_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recurring_invoice_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sales_documents_recurring_invoice_id"),
            ["recurring_invoice_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sales_documents_recurring_invoice_id_recurring_invoices"),
            "recurring_invoices",
            ["recurring_invoice_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sales_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("reminder_offsets", sa.JSON(), nullable=False, server_default="[-3, 7, 30]")
        )
        batch_op.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("logo_content_type", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales_settings", schema=None) as batch_op:
        batch_op.drop_column("logo_content_type")
        batch_op.drop_column("logo")
        batch_op.drop_column("reminder_offsets")
        batch_op.drop_column("reminders_enabled")

    with op.batch_alter_table("sales_documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sales_documents_recurring_invoice_id_recurring_invoices"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_sales_documents_recurring_invoice_id"))
        batch_op.drop_column("recurring_invoice_id")
        batch_op.drop_column("overdue_at")

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memberships_party_id_parties"), type_="foreignkey")
        batch_op.drop_column("party_id")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitations_party_id_parties"), type_="foreignkey")
        batch_op.drop_column("party_id")

    op.drop_table("sales_reminders")
    op.drop_table("payment_provider_events")
    with op.batch_alter_table("recurring_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_recurring_invoices_listing")
        batch_op.drop_index("ix_recurring_invoices_due")

    op.drop_table("recurring_invoices")
    op.drop_table("payment_providers")
    with op.batch_alter_table("mail_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_attachments_message_id"))

    op.drop_table("mail_attachments")
    op.drop_table("sales_email_templates")

"""parties: customers and suppliers in one table with role flags, and their contacts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 09:31:10.032034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("is_customer", sa.Boolean(), nullable=False),
        sa.Column("is_supplier", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("vat_number", sa.String(length=20), nullable=True),
        sa.Column("company_number", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("payment_terms", sa.String(length=30), nullable=False),
        sa.Column("billing_line1", sa.String(length=200), nullable=True),
        sa.Column("billing_line2", sa.String(length=200), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_city", sa.String(length=100), nullable=True),
        sa.Column("billing_region", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("shipping_line1", sa.String(length=200), nullable=True),
        sa.Column("shipping_line2", sa.String(length=200), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_city", sa.String(length=100), nullable=True),
        sa.Column("shipping_region", sa.String(length=100), nullable=True),
        sa.Column("shipping_country", sa.String(length=2), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('company', 'individual')", name=op.f("ck_parties_kind")),
        sa.CheckConstraint("is_customer OR is_supplier", name=op.f("ck_parties_has_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_parties_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_parties_organization_id_code")
        ),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_parties_organization_name", ["organization_id", "name"], unique=False
        )

    op.create_table(
        "party_contacts",
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_party_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_party_contacts_party_id_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_contacts")),
    )
    with op.batch_alter_table("party_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_contacts_party_id"), ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("party_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_contacts_party_id"))

    op.drop_table("party_contacts")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index("ix_parties_organization_name")

    op.drop_table("parties")

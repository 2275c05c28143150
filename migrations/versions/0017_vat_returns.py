"""Filed VAT returns; carried-forward openings left out of balances like drafts; entries
found by their source.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-21 21:50:23.867786
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCOUNTED = "status = 'draft' OR source_type = 'fiscal_year_opening'"


def upgrade() -> None:
    op.create_index(
        "ix_journal_entries_source",
        "journal_entries",
        ["organization_id", "source_type", "source_id"],
    )
    op.drop_index("ix_journal_entries_drafts", table_name="journal_entries")
    op.create_index(
        "ix_journal_entries_uncounted",
        "journal_entries",
        ["organization_id"],
        postgresql_where=sa.text(UNCOUNTED),
        sqlite_where=sa.text(UNCOUNTED),
    )
    op.create_table(
        "vat_returns",
        sa.Column("layout", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("net_due", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_vat_returns_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vat_returns")),
        sa.UniqueConstraint(
            "organization_id",
            "period_start",
            "period_end",
            name=op.f("uq_vat_returns_organization_id_period_start_period_end"),
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_journal_entries_source", table_name="journal_entries")
    op.drop_table("vat_returns")
    op.drop_index("ix_journal_entries_uncounted", table_name="journal_entries")
    op.create_index(
        "ix_journal_entries_drafts",
        "journal_entries",
        ["organization_id"],
        postgresql_where=sa.text("status = 'draft'"),
        sqlite_where=sa.text("status = 'draft'"),
    )

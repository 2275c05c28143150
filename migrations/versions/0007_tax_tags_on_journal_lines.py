"""tax tags on journal lines: the tax a line belongs to and, on tax lines, its base

VAT returns read them: the tax lines give the tax per rate and its base, and revenue or
expense lines tagged with a 0 % tax (reverse charge, export, exempt) give the bases of the
operations that carry no tax. Plain ADD COLUMN, not batch mode: rebuilding journal_lines
on SQLite would drop the triggers that keep posted lines immutable.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 09:21:54.525864
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("journal_lines", sa.Column("tax_code", sa.String(length=30), nullable=True))
    op.add_column("journal_lines", sa.Column("tax_base", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("journal_lines", "tax_base")
    op.drop_column("journal_lines", "tax_code")

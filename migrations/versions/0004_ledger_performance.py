"""ledger performance: a covering balances index, one index fewer on journal lines

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 07:00:00

The balances index gains ``posted``, so that the trial balance, account balances and the
general ledger's totals (all of them over posted lines only) read the index alone instead
of visiting a table row per line. The single-column index on ``organization_id`` goes:
every composite index of the table starts with that column, and it cost one more index
entry per line written (two, counting the posting update).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_journal_lines_organization_id", table_name="journal_lines")
    op.drop_index("ix_journal_lines_balances", table_name="journal_lines")
    op.create_index(
        "ix_journal_lines_balances",
        "journal_lines",
        ["organization_id", "account_id", "posted", "date", "debit", "credit"],
    )


def downgrade() -> None:
    op.drop_index("ix_journal_lines_balances", table_name="journal_lines")
    op.create_index(
        "ix_journal_lines_balances",
        "journal_lines",
        ["organization_id", "account_id", "date", "debit", "credit"],
    )
    op.create_index("ix_journal_lines_organization_id", "journal_lines", ["organization_id"])

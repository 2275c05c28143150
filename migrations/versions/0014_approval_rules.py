"""Approval rules for expenses and bills: bands of amounts and the roles that approve them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-21 13:28:47.635362
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_rules",
        sa.Column("applies_to", sa.String(length=10), nullable=False),
        sa.Column("up_to", sa.BigInteger(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "applies_to IN ('expense', 'bill')", name=op.f("ck_approval_rules_applies_to")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_approval_rules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_rules")),
        sa.UniqueConstraint(
            "organization_id",
            "applies_to",
            "up_to",
            name=op.f("uq_approval_rules_organization_id_applies_to_up_to"),
        ),
    )


def downgrade() -> None:
    op.drop_table("approval_rules")

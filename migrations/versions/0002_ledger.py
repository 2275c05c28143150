"""ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:06:47.522612
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("subtype", sa.String(length=30), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("reconcilable", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["accounts.id"],
            name=op.f("fk_accounts_parent_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_accounts_organization_id_code")
        ),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_accounts_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "exchange_rates",
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("base <> quote", name=op.f("ck_exchange_rates_distinct_pair")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_exchange_rates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "organization_id",
            "base",
            "quote",
            "date",
            name=op.f("uq_exchange_rates_organization_id_base_quote_date"),
        ),
    )
    with op.batch_alter_table("exchange_rates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_rates_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "fiscal_years",
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_fiscal_years_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_years")),
        sa.UniqueConstraint(
            "organization_id", "start_date", name=op.f("uq_fiscal_years_organization_id_start_date")
        ),
    )
    with op.batch_alter_table("fiscal_years", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fiscal_years_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "ledger_settings",
        sa.Column("lock_date", sa.Date(), nullable=True),
        sa.Column("chart_template", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ledger_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_ledger_settings_organization_id")),
    )
    with op.batch_alter_table("ledger_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_settings_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "journals",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("default_debit_account_id", sa.Uuid(), nullable=True),
        sa.Column("default_credit_account_id", sa.Uuid(), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_credit_account_id"],
            ["accounts.id"],
            name=op.f("fk_journals_default_credit_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["default_debit_account_id"],
            ["accounts.id"],
            name=op.f("fk_journals_default_debit_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journals_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journals")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_journals_organization_id_code")
        ),
    )
    with op.batch_alter_table("journals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journals_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "matchings",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("is_full", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_matchings_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_matchings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matchings")),
        sa.UniqueConstraint(
            "organization_id", "code", name=op.f("uq_matchings_organization_id_code")
        ),
    )
    with op.batch_alter_table("matchings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_matchings_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "entry_sequences",
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year_id", sa.Uuid(), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            ["fiscal_years.id"],
            name=op.f("fk_entry_sequences_fiscal_year_id_fiscal_years"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["journals.id"],
            name=op.f("fk_entry_sequences_journal_id_journals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_entry_sequences_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("journal_id", "fiscal_year_id", name=op.f("pk_entry_sequences")),
    )
    with op.batch_alter_table("entry_sequences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entry_sequences_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "journal_entries",
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("fiscal_year_id", sa.Uuid(), nullable=True),
        sa.Column("source_type", sa.String(length=40), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("reversal_of_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(status = 'draft' AND number IS NULL) OR (status = 'posted' AND number IS NOT NULL)",
            name=op.f("ck_journal_entries_number_when_posted"),
        ),
        sa.CheckConstraint("status IN ('draft', 'posted')", name=op.f("ck_journal_entries_status")),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            ["fiscal_years.id"],
            name=op.f("fk_journal_entries_fiscal_year_id_fiscal_years"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["journals.id"],
            name=op.f("fk_journal_entries_journal_id_journals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journal_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reversal_of_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entries_reversal_of_id_journal_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint(
            "organization_id",
            "journal_id",
            "fiscal_year_id",
            "number",
            name=op.f("uq_journal_entries_organization_id_journal_id_fiscal_year_id_number"),
        ),
        sa.UniqueConstraint("reversal_of_id", name=op.f("uq_journal_entries_reversal_of_id")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_entries_org_date", ["organization_id", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_entries_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "journal_lines",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_currency", sa.BigInteger(), nullable=False),
        sa.Column(
            "exchange_rate",
            sa.String(length=64).with_variant(sa.Numeric(24, 12), "postgresql"),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("party_id", sa.Uuid(), nullable=True),
        sa.Column("analytic_tag", sa.String(length=60), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0)",
            name=op.f("ck_journal_lines_one_side"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_journal_lines_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_lines_entry_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["journals.id"],
            name=op.f("fk_journal_lines_journal_id_journals"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journal_lines_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_lines_balances",
            ["organization_id", "account_id", "date", "debit", "credit"],
            unique=False,
        )
        batch_op.create_index("ix_journal_lines_entry", ["entry_id", "line_no"], unique=False)
        batch_op.create_index(
            "ix_journal_lines_org_date", ["organization_id", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_lines_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_journal_lines_party_id"), ["party_id"], unique=False)

    op.create_table(
        "matching_lines",
        sa.Column("matching_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["journal_lines.id"],
            name=op.f("fk_matching_lines_line_id_journal_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["matching_id"],
            ["matchings.id"],
            name=op.f("fk_matching_lines_matching_id_matchings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_matching_lines_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("matching_id", "line_id", name=op.f("pk_matching_lines")),
    )
    with op.batch_alter_table("matching_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matching_lines_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_matching_lines_organization_id"), ["organization_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


# Rules 3 and 4 of the books, enforced by the database itself: an entry posts only when
# its base-currency debits equal its credits (and it has at least two lines); a posted
# entry and its lines can be neither changed nor deleted; lines repeat their entry's
# date, journal and posted flag, kept in step here.
IMMUTABLE = "comptoir: posted entries and their lines are immutable; reverse the entry instead"
UNBALANCED = "comptoir: an entry posts only when its debits equal its credits"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER journal_lines_insert_guard BEFORE INSERT ON journal_lines
    WHEN NEW.posted OR NOT EXISTS (
        SELECT 1 FROM journal_entries e WHERE e.id = NEW.entry_id AND e.status = 'draft'
        AND e.date = NEW.date AND e.journal_id = NEW.journal_id
        AND e.organization_id = NEW.organization_id)
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE} (a line joins only a draft entry, with its date and journal)'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_update_guard BEFORE UPDATE ON journal_lines
    WHEN OLD.posted OR (NEW.posted AND NOT EXISTS (
        SELECT 1 FROM journal_entries e WHERE e.id = NEW.entry_id AND e.status = 'posted'))
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_delete_guard BEFORE DELETE ON journal_lines
    WHEN OLD.posted BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """,
    f"""
    CREATE TRIGGER journal_entries_insert_guard BEFORE INSERT ON journal_entries
    WHEN NEW.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{UNBALANCED} (entries start as drafts)'); END
    """,
    f"""
    CREATE TRIGGER journal_entries_update_guard BEFORE UPDATE ON journal_entries
    WHEN OLD.status = 'posted' BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """,
    f"""
    CREATE TRIGGER journal_entries_delete_guard BEFORE DELETE ON journal_entries
    WHEN OLD.status = 'posted' BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """,
    f"""
    CREATE TRIGGER journal_entries_balanced_on_post BEFORE UPDATE OF status ON journal_entries
    WHEN NEW.status = 'posted' AND (
        (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) < 2
        OR (SELECT SUM(debit) - SUM(credit) FROM journal_lines WHERE entry_id = NEW.id) <> 0)
    BEGIN SELECT RAISE(ABORT, '{UNBALANCED}'); END
    """,
    """
    CREATE TRIGGER journal_entries_sync_lines AFTER UPDATE OF status, date, journal_id
    ON journal_entries
    BEGIN
        UPDATE journal_lines SET posted = (NEW.status = 'posted'), date = NEW.date,
            journal_id = NEW.journal_id
        WHERE entry_id = NEW.id;
    END
    """,
]

POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION comptoir_journal_line_guard() RETURNS trigger AS $$
    DECLARE
        entry record;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT status, date, journal_id, organization_id INTO entry
            FROM journal_entries WHERE id = NEW.entry_id;
            IF NEW.posted OR entry.status IS DISTINCT FROM 'draft' OR NEW.date <> entry.date
               OR NEW.journal_id <> entry.journal_id
               OR NEW.organization_id <> entry.organization_id THEN
                RAISE EXCEPTION '{IMMUTABLE} (a line joins only a draft entry, with its date and journal)'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF OLD.posted THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.posted AND NOT EXISTS (
            SELECT 1 FROM journal_entries WHERE id = NEW.entry_id AND status = 'posted') THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION comptoir_journal_line_guard()
    """,
    f"""
    CREATE FUNCTION comptoir_journal_entry_guard() RETURNS trigger AS $$
    DECLARE
        line_count bigint;
        difference numeric;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status <> 'draft' THEN
                RAISE EXCEPTION '{UNBALANCED} (entries start as drafts)'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF OLD.status = 'posted' THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.status = 'posted' THEN
            SELECT count(*), coalesce(sum(debit) - sum(credit), 0) INTO line_count, difference
            FROM journal_lines WHERE entry_id = NEW.id;
            IF line_count < 2 OR difference <> 0 THEN
                RAISE EXCEPTION '{UNBALANCED}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_entries_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION comptoir_journal_entry_guard()
    """,
    """
    CREATE FUNCTION comptoir_journal_entry_sync() RETURNS trigger AS $$
    BEGIN
        UPDATE journal_lines SET posted = (NEW.status = 'posted'), date = NEW.date,
            journal_id = NEW.journal_id
        WHERE entry_id = NEW.id;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_entries_sync_lines AFTER UPDATE OF status, date, journal_id
    ON journal_entries FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.date IS DISTINCT FROM NEW.date
          OR OLD.journal_id IS DISTINCT FROM NEW.journal_id)
    EXECUTE FUNCTION comptoir_journal_entry_sync()
    """,
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_entries_sync_lines ON journal_entries")
        op.execute("DROP TRIGGER IF EXISTS journal_entries_guard ON journal_entries")
        op.execute("DROP TRIGGER IF EXISTS journal_lines_guard ON journal_lines")
        for function in ("journal_entry_sync", "journal_entry_guard", "journal_line_guard"):
            op.execute(f"DROP FUNCTION IF EXISTS comptoir_{function}()")

    with op.batch_alter_table("matching_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matching_lines_organization_id"))
        batch_op.drop_index(batch_op.f("ix_matching_lines_line_id"))

    op.drop_table("matching_lines")
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_lines_party_id"))
        batch_op.drop_index(batch_op.f("ix_journal_lines_organization_id"))
        batch_op.drop_index("ix_journal_lines_org_date")
        batch_op.drop_index("ix_journal_lines_entry")
        batch_op.drop_index("ix_journal_lines_balances")

    op.drop_table("journal_lines")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_organization_id"))
        batch_op.drop_index("ix_journal_entries_org_date")

    op.drop_table("journal_entries")
    with op.batch_alter_table("entry_sequences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_sequences_organization_id"))

    op.drop_table("entry_sequences")
    with op.batch_alter_table("matchings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matchings_organization_id"))

    op.drop_table("matchings")
    with op.batch_alter_table("journals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journals_organization_id"))

    op.drop_table("journals")
    with op.batch_alter_table("ledger_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_settings_organization_id"))

    op.drop_table("ledger_settings")
    with op.batch_alter_table("fiscal_years", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fiscal_years_organization_id"))

    op.drop_table("fiscal_years")
    with op.batch_alter_table("exchange_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_rates_organization_id"))

    op.drop_table("exchange_rates")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_parent_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_organization_id"))

    op.drop_table("accounts")

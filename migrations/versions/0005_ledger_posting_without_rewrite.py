"""ledger: posting an entry no longer rewrites its lines; set-based checks on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:00:00

Lines lose their ``posted`` flag. Posting used to copy the entry's status onto every line:
a second version of each row, five index entries and the checks again, which cost half
the time of writing a line. Whether a line counts is now its entry's status; reports
leave out the lines of draft entries (few, and found through a partial index).

On PostgreSQL the per-row guard and foreign-key checks on journal lines, which cost
about as much again as writing the line, become checks over the whole statement's rows
(triggers with transition tables): a line joins only a draft entry of its organization,
with the entry's date and journal, on an account of its organization (which the
foreign keys never checked). Deleting a draft entry deletes its lines, and an account
with lines cannot be deleted, as the foreign keys did. The rules are the same as in
migration 0002; SQLite keeps its row triggers, rewritten without the flag.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE = "comptoir: posted entries and their lines are immutable; reverse the entry instead"
UNBALANCED = "comptoir: an entry posts only when its debits equal its credits"
JOINS_DRAFT = f"{IMMUTABLE} (a line joins only a draft entry, with its date and journal)"
FOREIGN_ACCOUNT = "comptoir: a line posts only to an account of its own organization"
ACCOUNT_USED = "comptoir: an account with journal lines cannot be deleted; archive it"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for statement in DROP_POSTGRESQL_0002:
            op.execute(statement)
    else:
        for name in SQLITE_0002_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_journal_lines_balances", table_name="journal_lines")
    op.execute("ALTER TABLE journal_lines DROP COLUMN posted")
    # Every line counts unless its entry is a draft: the entry id rides in the index so
    # that the balances are still read from the index alone.
    op.create_index(
        "ix_journal_lines_balances",
        "journal_lines",
        ["organization_id", "account_id", "date", "debit", "credit", "entry_id"],
    )
    op.drop_index("ix_journal_entries_organization_id", table_name="journal_entries")
    op.create_index(
        "ix_journal_entries_drafts",
        "journal_entries",
        ["organization_id"],
        postgresql_where=sa.text("status = 'draft'"),
        sqlite_where=sa.text("status = 'draft'"),
    )
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


DROP_POSTGRESQL_0002 = [
    "DROP TRIGGER journal_entries_sync_lines ON journal_entries",
    "DROP TRIGGER journal_entries_guard ON journal_entries",
    "DROP TRIGGER journal_lines_guard ON journal_lines",
    "DROP FUNCTION comptoir_journal_entry_sync()",
    "DROP FUNCTION comptoir_journal_entry_guard()",
    "DROP FUNCTION comptoir_journal_line_guard()",
    "ALTER TABLE journal_lines DROP CONSTRAINT fk_journal_lines_organization_id_organizations",
    "ALTER TABLE journal_lines DROP CONSTRAINT fk_journal_lines_journal_id_journals",
    "ALTER TABLE journal_lines DROP CONSTRAINT fk_journal_lines_account_id_accounts",
    "ALTER TABLE journal_lines DROP CONSTRAINT fk_journal_lines_entry_id_journal_entries",
]

SQLITE_0002_TRIGGERS = [
    "journal_lines_insert_guard",
    "journal_lines_update_guard",
    "journal_lines_delete_guard",
    "journal_entries_insert_guard",
    "journal_entries_update_guard",
    "journal_entries_delete_guard",
    "journal_entries_balanced_on_post",
    "journal_entries_sync_lines",
]

# The entry a line belongs to, as a draft with the line's organization, date and journal.
_SQLITE_DRAFT_OF_NEW = """
    SELECT 1 FROM journal_entries e WHERE e.id = NEW.entry_id AND e.status = 'draft'
    AND e.date = NEW.date AND e.journal_id = NEW.journal_id
    AND e.organization_id = NEW.organization_id
"""

_SQLITE_ACCOUNT_OF_NEW = """
    SELECT 1 FROM accounts a
    WHERE a.id = NEW.account_id AND a.organization_id = NEW.organization_id
"""

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER journal_lines_insert_guard BEFORE INSERT ON journal_lines
    WHEN NOT EXISTS ({_SQLITE_DRAFT_OF_NEW})
    BEGIN SELECT RAISE(ABORT, '{JOINS_DRAFT}'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_account_guard BEFORE INSERT ON journal_lines
    WHEN NOT EXISTS ({_SQLITE_ACCOUNT_OF_NEW})
    BEGIN SELECT RAISE(ABORT, '{FOREIGN_ACCOUNT}'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_account_change_guard BEFORE UPDATE OF account_id ON journal_lines
    WHEN NOT EXISTS ({_SQLITE_ACCOUNT_OF_NEW})
    BEGIN SELECT RAISE(ABORT, '{FOREIGN_ACCOUNT}'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_update_guard BEFORE UPDATE ON journal_lines
    WHEN EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = OLD.entry_id AND e.status = 'posted')
        OR NOT EXISTS ({_SQLITE_DRAFT_OF_NEW})
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
    """,
    f"""
    CREATE TRIGGER journal_lines_delete_guard BEFORE DELETE ON journal_lines
    WHEN EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = OLD.entry_id AND e.status = 'posted')
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END
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
    CREATE TRIGGER journal_entries_sync_lines AFTER UPDATE OF date, journal_id
    ON journal_entries
    WHEN OLD.date IS NOT NEW.date OR OLD.journal_id IS NOT NEW.journal_id
    BEGIN
        UPDATE journal_lines SET date = NEW.date, journal_id = NEW.journal_id
        WHERE entry_id = NEW.id;
    END
    """,
]

POSTGRESQL_TRIGGERS = [
    # Rows this transaction inserted are invisible to every other one: only the entries
    # and accounts of earlier transactions need a lock, against a concurrent posting or
    # deletion. Comparing xmin with our own transaction id errs on the safe side: a row
    # written in a savepoint of ours is merely locked as well.
    f"""
    CREATE FUNCTION comptoir_journal_lines_inserted() RETURNS trigger AS $$
    BEGIN
        PERFORM 1 FROM journal_entries e
        WHERE e.id IN (SELECT DISTINCT entry_id FROM new_lines)
          AND e.xmin::text <> (pg_current_xact_id()::xid)::text
        FOR SHARE OF e;
        PERFORM 1 FROM accounts a WHERE a.id IN (SELECT DISTINCT account_id FROM new_lines)
        FOR KEY SHARE OF a;
        IF EXISTS (
            SELECT 1 FROM new_lines n LEFT JOIN journal_entries e ON e.id = n.entry_id
            WHERE e.id IS NULL OR e.status <> 'draft' OR e.date <> n.date
               OR e.journal_id <> n.journal_id OR e.organization_id <> n.organization_id) THEN
            RAISE EXCEPTION '{JOINS_DRAFT}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM new_lines n LEFT JOIN accounts a
                ON a.id = n.account_id AND a.organization_id = n.organization_id
            WHERE a.id IS NULL) THEN
            RAISE EXCEPTION '{FOREIGN_ACCOUNT}' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_lines_inserted AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_journal_lines_inserted()
    """,
    # Changing or deleting lines is rare (editing a draft): row by row.
    f"""
    CREATE FUNCTION comptoir_journal_line_changed() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM journal_entries WHERE id = OLD.entry_id AND status = 'posted')
        THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        PERFORM 1 FROM journal_entries e WHERE e.id = NEW.entry_id AND e.status = 'draft'
            AND e.date = NEW.date AND e.journal_id = NEW.journal_id
            AND e.organization_id = NEW.organization_id FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION '{JOINS_DRAFT}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        PERFORM 1 FROM accounts a
        WHERE a.id = NEW.account_id AND a.organization_id = NEW.organization_id FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION '{FOREIGN_ACCOUNT}' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_lines_changed BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION comptoir_journal_line_changed()
    """,
    f"""
    CREATE FUNCTION comptoir_journal_entries_inserted() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM new_entries WHERE status <> 'draft') THEN
            RAISE EXCEPTION '{UNBALANCED} (entries start as drafts)'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_entries_inserted AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_journal_entries_inserted()
    """,
    # One pass over the statement's entries: none was posted before; those posted now
    # have at least two lines whose debits equal their credits; lines follow a draft's new
    # date or journal.
    f"""
    CREATE FUNCTION comptoir_journal_entries_updated() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM old_entries WHERE status = 'posted') THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF EXISTS (
            SELECT 1 FROM new_entries n WHERE n.status = 'posted' AND NOT EXISTS (
                SELECT 1 FROM journal_lines l WHERE l.entry_id = n.id
                HAVING count(*) >= 2 AND sum(l.debit) = sum(l.credit))) THEN
            RAISE EXCEPTION '{UNBALANCED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE journal_lines l SET date = n.date, journal_id = n.journal_id
        FROM new_entries n JOIN old_entries o ON o.id = n.id
        WHERE l.entry_id = n.id AND (o.date <> n.date OR o.journal_id <> n.journal_id);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_entries_updated AFTER UPDATE ON journal_entries
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_journal_entries_updated()
    """,
    f"""
    CREATE FUNCTION comptoir_journal_entries_deleted() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM old_entries WHERE status = 'posted') THEN
            RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        DELETE FROM journal_lines WHERE entry_id IN (SELECT id FROM old_entries);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER journal_entries_deleted AFTER DELETE ON journal_entries
    REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION comptoir_journal_entries_deleted()
    """,
    f"""
    CREATE FUNCTION comptoir_account_deleted() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM journal_lines
                   WHERE organization_id = OLD.organization_id AND account_id = OLD.id) THEN
            RAISE EXCEPTION '{ACCOUNT_USED}' USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN OLD;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER accounts_deleted BEFORE DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION comptoir_account_deleted()
    """,
]


def downgrade() -> None:
    raise NotImplementedError(
        "0005 drops the lines' posted flag and, on PostgreSQL, their foreign keys; restore a "
        "backup taken before upgrading instead"
    )

"""row versions of posts and accounts, bumped by a trigger on every update

A page reads each post's and author's `row_version` first and fetches full rows only for
versions it has not cached (core/row_cache.py). A trigger, not the application, bumps them:
every UPDATE counts, whichever code (or process) runs it.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("posts", "accounts")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("row_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_row_version() RETURNS trigger AS $$ "
            "BEGIN NEW.row_version := OLD.row_version + 1; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_row_version BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION bump_row_version()"
            )
        return
    # SQLite cannot change NEW in a BEFORE trigger: the row is updated again, by rowid (its
    # cheapest lookup). Recursive triggers are off, so this does not fire itself.
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_row_version AFTER UPDATE ON {table} FOR EACH ROW "
            "WHEN NEW.row_version = OLD.row_version "
            f"BEGIN UPDATE {table} SET row_version = OLD.row_version + 1 "
            "WHERE rowid = NEW.rowid; END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_row_version" + (f" ON {table}" if postgres else ""))
        op.drop_column(table, "row_version")
    if postgres:
        op.execute("DROP FUNCTION bump_row_version()")

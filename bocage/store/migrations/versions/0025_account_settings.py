"""account settings clients edit (bot, discoverable, indexable, hidden collections, posting
defaults), ids for mutes and blocks, mutes' end and whether they silence notifications, a
person's own domain blocks, dismissed follow suggestions

Mastodon's API pages mutes and blocks by their row's id and lets a mute expire; the
posting defaults (`source[privacy]`, `source[sensitive]`, `source[language]`) are the
user's, as Mastodon keeps them in the user's settings. Mutes and blocks made before get ids
from their creation time, so that paging keeps their order. Being listed (`discoverable`)
and searchable (`indexable`) are opt-in, as on Mastodon: accounts start without either.

Revision ID: 0025
Revises: 0024
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_FLAGS = ("bot", "discoverable", "indexable", "hide_collections")


USER_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("default_privacy", sa.String(16), nullable=False, server_default="public"),
    sa.Column("default_sensitive", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("default_language", sa.String(16), nullable=True),
)


@contextmanager
def _reflecting() -> Iterator[None]:
    """SQLite rebuilds mutes and blocks to make their new id NOT NULL, reflecting accounts,
    whose expression index SQLAlchemy cannot reflect (and says so); it is not touched."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        yield


def upgrade() -> None:
    # Added in place: accounts keeps its 0016 triggers (a rebuild on SQLite would drop them).
    for name in ACCOUNT_FLAGS:
        op.add_column(
            "accounts", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    for column in USER_COLUMNS:
        op.add_column("users", column)
    for table in ("mutes", "blocks"):
        op.add_column(table, sa.Column("id", sa.BigInteger(), nullable=True))
        _number(table)
        with _reflecting(), op.batch_alter_table(table) as batch:
            batch.alter_column("id", existing_type=sa.BigInteger(), nullable=False)
        op.create_index(f"ix_{table}_account_id_id", table, ["account_id", "id"])
    op.add_column("mutes", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "mutes",
        sa.Column("hide_notifications", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "account_domain_blocks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_domain_blocks_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_domain_blocks"),
        sa.UniqueConstraint("account_id", "domain", name="uq_account_domain_blocks_account_id"),
    )  # fmt: skip
    op.create_table(
        "suggestion_dismissals",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_suggestion_dismissals_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["accounts.id"], name="fk_suggestion_dismissals_target_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "target_id", name="pk_suggestion_dismissals"),
    )  # fmt: skip


def _number(table: str) -> None:
    """Ids for the rows already there, in the order they were made (ms << 16, as new ids)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT account_id, target_id, created_at FROM {table} ORDER BY created_at")
    ).all()
    for seq, (account_id, target_id, created_at) in enumerate(rows):
        if isinstance(created_at, str):  # SQLite hands back text
            created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        ms = int(created_at.timestamp() * 1000)
        connection.execute(
            sa.text(f"UPDATE {table} SET id = :id WHERE account_id = :a AND target_id = :t"),
            {"id": (ms << 16) | (seq & 0xFFFF), "a": account_id, "t": target_id},
        )


def downgrade() -> None:
    op.drop_table("suggestion_dismissals")
    op.drop_table("account_domain_blocks")
    op.drop_column("mutes", "hide_notifications")
    op.drop_column("mutes", "expires_at")
    for table in ("blocks", "mutes"):
        op.drop_index(f"ix_{table}_account_id_id", table_name=table)
        op.drop_column(table, "id")
    for column in reversed(USER_COLUMNS):
        op.drop_column("users", column.name)
    for name in reversed(ACCOUNT_FLAGS):
        op.drop_column("accounts", name)  # in place (SQLite 3.35+): the 0016 triggers stay

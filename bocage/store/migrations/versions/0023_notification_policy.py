"""grouped notifications, notification policies and filtered requests (Mastodon 4.3)

`notifications.group_key` groups favourites, boosts and follows as Mastodon does;
`notifications.filtered` holds back what the recipient's policy filters, gathered per sender
in `notification_requests` until accepted (`notification_permissions`) or dismissed.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["accounts.id"], name=f"fk_{table}_{column}_accounts", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("notifications", sa.Column("group_key", sa.String(length=64), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("filtered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_notifications_account_id_group_key",
        "notifications",
        ["account_id", "group_key"],
        sqlite_where=sa.text("group_key IS NOT NULL"),
        postgresql_where=sa.text("group_key IS NOT NULL"),
    )
    op.create_index(
        "ix_notifications_filtered",
        "notifications",
        ["account_id", "from_account_id"],
        sqlite_where=sa.text("filtered"),
        postgresql_where=sa.text("filtered"),
    )
    op.create_table(
        "notification_policies",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("for_not_following", sa.String(length=8), nullable=False),
        sa.Column("for_not_followers", sa.String(length=8), nullable=False),
        sa.Column("for_new_accounts", sa.String(length=8), nullable=False),
        sa.Column("for_private_mentions", sa.String(length=8), nullable=False),
        sa.Column("for_limited_accounts", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("notification_policies", "account_id"),
        sa.PrimaryKeyConstraint("account_id", name="pk_notification_policies"),
    )
    op.create_table(
        "notification_requests",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", sa.BigInteger(), nullable=False),
        sa.Column("last_status_id", sa.BigInteger(), nullable=True),
        sa.Column("notifications_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("notification_requests", "account_id"),
        _fk("notification_requests", "from_account_id"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_requests"),
        sa.UniqueConstraint(
            "account_id", "from_account_id", name="uq_notification_requests_account_id"
        ),
    )
    op.create_index(
        "ix_notification_requests_account_id_id", "notification_requests", ["account_id", "id"]
    )
    op.create_table(
        "notification_permissions",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("from_account_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("notification_permissions", "account_id"),
        _fk("notification_permissions", "from_account_id"),
        sa.PrimaryKeyConstraint(
            "account_id", "from_account_id", name="pk_notification_permissions"
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_permissions")
    op.drop_index("ix_notification_requests_account_id_id", table_name="notification_requests")
    op.drop_table("notification_requests")
    op.drop_table("notification_policies")
    op.drop_index("ix_notifications_filtered", table_name="notifications")
    op.drop_index("ix_notifications_account_id_group_key", table_name="notifications")
    op.drop_column("notifications", "filtered")
    op.drop_column("notifications", "group_key")

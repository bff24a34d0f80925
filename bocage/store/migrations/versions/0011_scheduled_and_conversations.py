"""scheduled statuses, direct conversations, muted threads

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_statuses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_scheduled_statuses_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_statuses"),
    )  # fmt: skip
    op.create_index(
        "ix_scheduled_statuses_account_id_scheduled_at",
        "scheduled_statuses",
        ["account_id", "scheduled_at"],
    )
    op.create_table(
        "scheduled_media",
        sa.Column("media_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_status_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"], ["media_files.id"], name="fk_scheduled_media_media_id_media_files",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_status_id"], ["scheduled_statuses.id"],
            name="fk_scheduled_media_scheduled_status_id_scheduled_statuses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", name="pk_scheduled_media"),
    )  # fmt: skip
    op.create_index(
        "ix_scheduled_media_scheduled_status_id",
        "scheduled_media",
        ["scheduled_status_id"],
    )
    op.create_table(
        "account_conversations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("participants_key", sa.String(64), nullable=False),
        sa.Column("last_status_id", sa.BigInteger(), nullable=False),
        sa.Column("unread", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_conversations_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_status_id"], ["posts.id"],
            name="fk_account_conversations_last_status_id_posts", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_conversations"),
        sa.UniqueConstraint(
            "account_id", "thread_id", "participants_key", name="uq_account_conversations_key"
        ),
    )  # fmt: skip
    op.create_index(
        "ix_account_conversations_account_id_last_status_id",
        "account_conversations",
        ["account_id", "last_status_id"],
    )
    op.create_table(
        "conversation_posts",
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["account_conversations.id"],
            name="fk_conversation_posts_conversation_id_account_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_conversation_posts_post_id_posts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "post_id", name="pk_conversation_posts"),
    )  # fmt: skip
    op.create_index("ix_conversation_posts_post_id", "conversation_posts", ["post_id"])
    op.create_table(
        "thread_mutes",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_thread_mutes_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "thread_id", name="pk_thread_mutes"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("thread_mutes")
    op.drop_index("ix_conversation_posts_post_id", table_name="conversation_posts")
    op.drop_table("conversation_posts")
    op.drop_index(
        "ix_account_conversations_account_id_last_status_id", table_name="account_conversations"
    )
    op.drop_table("account_conversations")
    op.drop_index("ix_scheduled_media_scheduled_status_id", table_name="scheduled_media")
    op.drop_table("scheduled_media")
    op.drop_index("ix_scheduled_statuses_account_id_scheduled_at", table_name="scheduled_statuses")
    op.drop_table("scheduled_statuses")

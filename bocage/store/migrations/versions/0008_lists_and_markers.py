"""lists (list timelines, exclusive lists) and markers (read positions)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("replies_policy", sa.String(16), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_lists_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lists"),
    )  # fmt: skip
    op.create_index("ix_lists_account_id", "lists", ["account_id"])
    op.create_table(
        "list_accounts",
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["lists.id"], name="fk_list_accounts_list_id_lists", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_list_accounts_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "account_id", name="pk_list_accounts"),
    )  # fmt: skip
    op.create_index(
        "ix_list_accounts_account_id_list_id", "list_accounts", ["account_id", "list_id"]
    )
    op.create_table(
        "list_feed",
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["lists.id"], name="fk_list_feed_list_id_lists", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_list_feed_post_id_posts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name="fk_list_feed_author_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "post_id", name="pk_list_feed"),
    )  # fmt: skip
    op.create_index("ix_list_feed_list_id_author_id", "list_feed", ["list_id", "author_id"])
    op.create_index("ix_list_feed_post_id", "list_feed", ["post_id"])
    op.create_table(
        "markers",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("timeline", sa.String(32), nullable=False),
        sa.Column("last_read_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_markers_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "timeline", name="pk_markers"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("markers")
    op.drop_index("ix_list_feed_post_id", table_name="list_feed")
    op.drop_index("ix_list_feed_list_id_author_id", table_name="list_feed")
    op.drop_table("list_feed")
    op.drop_index("ix_list_accounts_account_id_list_id", table_name="list_accounts")
    op.drop_table("list_accounts")
    op.drop_index("ix_lists_account_id", table_name="lists")
    op.drop_table("lists")

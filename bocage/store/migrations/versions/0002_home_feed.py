"""home feed (fan-out on write)

Revision ID: 0002
Revises: 0001
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
        "home_feed",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_home_feed_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["accounts.id"],
            name=op.f("fk_home_feed_author_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_home_feed_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "post_id", name=op.f("pk_home_feed")),
    )
    op.create_index("ix_home_feed_account_id_author_id", "home_feed", ["account_id", "author_id"])
    # Existing posts: every account's own posts and those of the accounts it follows.
    op.execute(
        """
        INSERT INTO home_feed (account_id, post_id, author_id)
        SELECT posts.account_id, posts.id, posts.account_id FROM posts
        WHERE posts.visibility != 'direct'
        UNION
        SELECT follows.follower_id, posts.id, posts.account_id
        FROM follows JOIN posts ON posts.account_id = follows.target_id
        WHERE follows.accepted AND posts.visibility != 'direct'
        UNION
        SELECT mentions.account_id, posts.id, posts.account_id
        FROM mentions JOIN posts ON posts.id = mentions.post_id
        UNION
        SELECT posts.account_id, posts.id, posts.account_id FROM posts
        WHERE posts.visibility = 'direct'
        """
    )


def downgrade() -> None:
    op.drop_index("ix_home_feed_account_id_author_id", table_name="home_feed")
    op.drop_table("home_feed")

"""one boost per account and post

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keep the oldest of any duplicate boosts that a double click may already have made.
    op.execute(
        """
        DELETE FROM posts WHERE reblog_of_id IS NOT NULL AND id NOT IN (
            SELECT MIN(id) FROM posts WHERE reblog_of_id IS NOT NULL
            GROUP BY account_id, reblog_of_id
        )
        """
    )
    op.create_index(
        "uq_posts_one_boost",
        "posts",
        ["account_id", "reblog_of_id"],
        unique=True,
        sqlite_where=sa.text("reblog_of_id IS NOT NULL"),
        postgresql_where=sa.text("reblog_of_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_posts_one_boost", table_name="posts")

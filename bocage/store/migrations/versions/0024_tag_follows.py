"""followed hashtags

A local account may follow a hashtag (Mastodon 4.0's `POST /api/v1/tags/:name/follow`): the
public posts that carry it come into their home feed. Like featured tags, a row holds the
name as its follower wrote it and the lower-cased tag `post_tags` holds; the fan-out looks
rows up by tag.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tag_follows",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tag", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_tag_follows_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tag_follows"),
        sa.UniqueConstraint("account_id", "tag", name="uq_tag_follows_pair"),
    )  # fmt: skip
    op.create_index("ix_tag_follows_tag", "tag_follows", ["tag"])


def downgrade() -> None:
    op.drop_index("ix_tag_follows_tag", table_name="tag_follows")
    op.drop_table("tag_follows")

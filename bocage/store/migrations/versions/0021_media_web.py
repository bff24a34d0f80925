"""a post's media can be marked sensitive without a content warning

As on Mastodon: `sensitive` hides a post's media behind a click (its text stays visible); a
content warning implies it. Until now sensitive meant "has a content warning", so a photo
marked sensitive in the compose form had nowhere to be kept. Other servers say so apart
from any content warning too (Mastodon and GoToSocial `sensitive` on the Note, Misskey on
each file).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "posts",
        sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("posts", "sensitive")  # in place (SQLite 3.35+): the 0016 triggers stay

"""posts.sensitive: a post whose media are to be hidden behind a click

Another server says so apart from any content warning (Mastodon and GoToSocial `sensitive`
on the Note, Misskey on each file); the Mastodon API's Status `sensitive` is this, or a
content warning.

And `media_files.cached_at` and `last_used_at` become aware timestamps on PostgreSQL, as every
other timestamp of the store (0020 made them naive; the cache compares them with the time).

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


TIMESTAMPS = ("cached_at", "last_used_at")


def upgrade() -> None:
    op.add_column(
        "posts", sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    if op.get_bind().dialect.name == "postgresql":
        for column in TIMESTAMPS:
            op.alter_column(
                "media_files", column, type_=sa.DateTime(timezone=True),
                existing_type=sa.DateTime(), postgresql_using=f"{column} AT TIME ZONE 'UTC'",
            )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in TIMESTAMPS:
            op.alter_column(
                "media_files", column, type_=sa.DateTime(),
                existing_type=sa.DateTime(timezone=True),
                postgresql_using=f"{column} AT TIME ZONE 'UTC'",
            )  # fmt: skip
    op.drop_column("posts", "sensitive")  # no table rebuilt: the posts' triggers stay

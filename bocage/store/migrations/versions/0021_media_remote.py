"""posts.sensitive: a post whose media are to be hidden behind a click

Another server says so apart from any content warning (Mastodon and GoToSocial `sensitive`
on the Note, Misskey on each file); the Mastodon API's Status `sensitive` is this, or a
content warning.

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
        "posts", sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("sensitive")

"""what a probe said of an uploaded video or sound

Video and audio uploads (`POST /api/v2/media`) are probed with ffprobe: their frame rate,
bitrate and sound (codec, sample rate, channels) are what Mastodon's MediaAttachment `meta`
shows, beside the width, height and duration the row already keeps. Kept as one JSON
object (core/media/audiovisual.py `facts`, and the preview's size as `small`); none for
images, documents and other servers' files.

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media_files", sa.Column("av", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("media_files", "av")

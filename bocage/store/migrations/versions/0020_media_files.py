"""media as Pixelfed and Mastodon keep them: remote media, previews, blurhash, documents

A `media_files` row is now any file a post or a profile shows: uploaded here, or fetched
from another server and cached (`remote_url`, `cached_at`, `last_used_at` for the cache's
LRU; `storage_key` is NULL while a remote file is not cached, or after eviction). Beside the
file served (`storage_key`): its preview (`preview_key`), the owner's original when the
served file is a rendition of it (`original_key`: a HEIC photo), the sha-256 of the served
bytes (`sha256`: peers fetch and check media by it), the digest another server declared
(`digest_multibase`), the blurhash, the kind Mastodon's API names (`kind`), what the file is
for (`purpose`: an attachment, or a remote profile's avatar or header), a document's file
name and licence (SPDX id).

Revision ID: 0020
Revises: 0019
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    sa.Column("kind", sa.String(16), nullable=False, server_default="image"),
    sa.Column("purpose", sa.String(16), nullable=False, server_default="attachment"),
    sa.Column("blurhash", sa.String(100), nullable=True),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("preview_key", sa.String(200), nullable=True),
    sa.Column("original_key", sa.String(200), nullable=True),
    sa.Column("remote_url", sa.String(1000), nullable=True),
    sa.Column("remote_preview_url", sa.String(1000), nullable=True),
    sa.Column("digest_multibase", sa.String(100), nullable=True),
    sa.Column("license", sa.String(64), nullable=True),
    sa.Column("file_name", sa.String(255), nullable=True),
    sa.Column("duration", sa.Float(), nullable=True),
    sa.Column("cached_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
)


@contextmanager
def _reflecting() -> Iterator[None]:
    """SQLite rebuilds media_files to relax a NOT NULL, reflecting the tables it refers to;
    SQLAlchemy cannot reflect accounts' expression index (lower(username), domain) and says
    so. The index is not touched: nothing for a person running `bocage` to read."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        yield


def upgrade() -> None:
    with _reflecting(), op.batch_alter_table("media_files") as batch:
        batch.alter_column("storage_key", existing_type=sa.String(200), nullable=True)
        for column in COLUMNS:
            batch.add_column(column)
        batch.create_index("ix_media_files_sha256", ["sha256"])
        batch.create_index("ix_media_files_remote_url", ["remote_url"])
        batch.create_index("ix_media_files_last_used_at", ["last_used_at"])


def downgrade() -> None:
    with _reflecting(), op.batch_alter_table("media_files") as batch:
        batch.drop_index("ix_media_files_last_used_at")
        batch.drop_index("ix_media_files_remote_url")
        batch.drop_index("ix_media_files_sha256")
        for column in reversed(COLUMNS):
            batch.drop_column(column.name)
        batch.alter_column("storage_key", existing_type=sa.String(200), nullable=False)

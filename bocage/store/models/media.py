"""Media files: uploads, and the remote media of posts and profiles (cached here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class MediaFile(Base):
    """A file a post or a profile shows (content-addressed on disk by sha256): uploaded here,
    or another server's, fetched and cached (migration 0020 says what each column keeps)."""

    __tablename__ = "media_files"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)
    # The file served; None while a remote file is not cached here (or after eviction).
    storage_key: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # The post it is attached to, once posted (no foreign key: like a reply's parent, the
    # row outlives a deleted post; the file is shared by content address anyway).
    post_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    focus_x: Mapped[float | None] = mapped_column(Float)  # -1 (left) … 1 (right)
    focus_y: Mapped[float | None] = mapped_column(Float)  # -1 (bottom) … 1 (top)
    # Mastodon's attachment types: image, gifv, video, audio, document (Mastodon: "unknown").
    kind: Mapped[str] = mapped_column(String(16), default="image", server_default="image")
    # attachment (of a post, once posted), avatar or header (a remote profile's images).
    purpose: Mapped[str] = mapped_column(
        String(16), default="attachment", server_default="attachment"
    )
    blurhash: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # of the served bytes
    preview_key: Mapped[str | None] = mapped_column(String(200))
    original_key: Mapped[str | None] = mapped_column(String(200))  # e.g. the HEIC uploaded
    remote_url: Mapped[str | None] = mapped_column(String(1000), index=True)
    remote_preview_url: Mapped[str | None] = mapped_column(String(1000))
    digest_multibase: Mapped[str | None] = mapped_column(String(100))  # as another server said
    license: Mapped[str | None] = mapped_column(String(64))  # an SPDX id
    file_name: Mapped[str | None] = mapped_column(String(255))
    duration: Mapped[float | None] = mapped_column(Float)  # seconds, audio and video
    # What a probe said of an uploaded video or sound (core/media/audiovisual.py `facts`:
    # frame_rate, bitrate, audio_encode, audio_bitrate, audio_channels) and its preview's
    # size as `small` [width, height] (migration 0028).
    av: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cached_at: Mapped[datetime | None]  # a remote file fetched (aware UTC, as every datetime)
    last_used_at: Mapped[datetime | None] = mapped_column(index=True)  # the cache's LRU

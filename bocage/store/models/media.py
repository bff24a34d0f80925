"""Media files: uploads and the remote media kept for posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class MediaFile(Base):
    """A stored file (content-addressed on disk by sha256)."""

    __tablename__ = "media_files"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
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

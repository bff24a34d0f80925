"""Notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    type: Mapped[str] = mapped_column(String(32))
    from_account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    post_id: Mapped[int | None] = mapped_column(cascade("posts.id"))
    created_at: Mapped[datetime]
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    # The same event never notifies twice, however often its job runs.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    __table_args__ = (Index("ix_notifications_account_id_id", "account_id", "id"),)

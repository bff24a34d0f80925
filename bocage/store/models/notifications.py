"""Notifications, and what decides where they go: each person's notification policy, the
requests that hold what it filtered, and the senders let through anyway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String, UniqueConstraint, false, text
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
    # Mastodon's grouping (`favourite-{post}-{hour}`, `follow-{hour}`); NULL: ungrouped.
    group_key: Mapped[str | None] = mapped_column(String(64))
    # Held back by the recipient's notification policy, in a request until accepted.
    filtered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    __table_args__ = (
        Index("ix_notifications_account_id_id", "account_id", "id"),
        Index(
            "ix_notifications_account_id_group_key",
            "account_id",
            "group_key",
            sqlite_where=text("group_key IS NOT NULL"),
            postgresql_where=text("group_key IS NOT NULL"),
        ),
        Index(
            "ix_notifications_filtered",
            "account_id",
            "from_account_id",
            sqlite_where=text("filtered"),
            postgresql_where=text("filtered"),
        ),
    )


class NotificationPolicy(Base):
    """What a person does with notifications from strangers (Mastodon 4.3's
    NotificationPolicy): each case `accept`, `filter` or `drop`. No row: the defaults."""

    __tablename__ = "notification_policies"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    for_not_following: Mapped[str] = mapped_column(String(8))
    for_not_followers: Mapped[str] = mapped_column(String(8))
    for_new_accounts: Mapped[str] = mapped_column(String(8))
    for_private_mentions: Mapped[str] = mapped_column(String(8))
    for_limited_accounts: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]


class NotificationRequest(Base):
    """The filtered mentions from one sender to one person, waiting to be accepted or
    dismissed."""

    __tablename__ = "notification_requests"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    from_account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    # No foreign key: the request outlives its last post (shown as null).
    last_status_id: Mapped[int | None] = mapped_column(BigInteger)
    notifications_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("account_id", "from_account_id"),
        Index("ix_notification_requests_account_id_id", "account_id", "id"),
    )


class NotificationPermission(Base):
    """A sender whose notifications skip the recipient's policy (an accepted request)."""

    __tablename__ = "notification_permissions"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    from_account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]

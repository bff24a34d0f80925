"""The node as a community: its settings and invites, and the servers it blocks or allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Invite(Base):
    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by: Mapped[int] = mapped_column(cascade("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class InstanceSetting(Base):
    """Admin-editable settings (name, description, rules, registration mode…) as JSON values."""

    __tablename__ = "instance_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class DomainBlock(Base):
    """An admin's decision about a whole server. `suspend`: nothing from it is accepted and
    nothing goes to it; `silence`: its posts reach only those who follow its accounts."""

    __tablename__ = "domain_blocks"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str] = mapped_column(Text, default="")  # for the admins only
    # The reason shown to others (`/api/v1/instance/domain_blocks`), as Mastodon's.
    public_comment: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    obfuscate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class DomainAllow(Base):
    """A server this node federates with when the admin has chosen allow-list mode."""

    __tablename__ = "domain_allows"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime]


class Announcement(Base):
    """A notice from the admins to everyone on the node (Mastodon's announcements): shown by
    the apps above the home timeline from `published_at` (or `starts_at`), until `ends_at`."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None]  # None: a draft, not shown yet
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AnnouncementDismissal(Base):
    """Someone marked an announcement as read."""

    __tablename__ = "announcement_dismissals"
    announcement_id: Mapped[int] = mapped_column(cascade("announcements.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)


class AnnouncementReaction(Base):
    """An emoji someone added under an announcement (one of each name per person)."""

    __tablename__ = "announcement_reactions"
    announcement_id: Mapped[int] = mapped_column(cascade("announcements.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_announcement_reactions_announcement_id_name", "announcement_id", "name"),
    )

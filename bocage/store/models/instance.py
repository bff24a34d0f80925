"""The node as a community: its settings and invites, and the servers it blocks or allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, false
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
    comment: Mapped[str] = mapped_column(Text, default="")  # for the moderators only
    public_comment: Mapped[str] = mapped_column(Text, default="")
    obfuscate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class DomainAllow(Base):
    """A server this node federates with when the admin has chosen allow-list mode."""

    __tablename__ = "domain_allows"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime]

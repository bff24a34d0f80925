"""Reports to the moderators, and what the moderators decide and block (the admin API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Report(Base):
    """A report of an account (and some of its posts) to this node's moderators, made here or
    received as a Flag. `forwarded`: a copy went to the reported account's server."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))  # who reported
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    post_ids: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500), unique=True)  # the Flag's id
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Mastodon's categories: spam, legal, violation (of `rule_ids`, the node's rules by
    # number), other.
    category: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
    rule_ids: Mapped[list[Any] | None] = mapped_column(default=list)  # None: none (older rows)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_reports_resolved_at_id", "resolved_at", "id"),)


class AccountModeration(Base):
    """What the moderators decided about an account beside a suspension (on `accounts`):
    `silenced` (its posts reach only its followers, as a silenced server's), `sensitized`
    (its media are always marked sensitive), `disabled` (a local user cannot log in or use
    a token), and the address a local user signed up from. A row only once one is set."""

    __tablename__ = "account_moderation"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitized: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_up_ip: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class ReportHandling(Base):
    """Who among the moderators took a report (`assigned_id`) and who acted on it
    (`action_taken_by_id`), and when it last changed (Mastodon's Admin::Report)."""

    __tablename__ = "report_handling"
    report_id: Mapped[int] = mapped_column(cascade("reports.id"), primary_key=True)
    assigned_id: Mapped[int | None] = mapped_column(BigInteger)
    action_taken_by_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class AdminAction(Base):
    """The moderation log: one row per action a moderator took (Mastodon's
    Admin::ActionLog), whatever face it came through."""

    __tablename__ = "admin_actions"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int | None] = mapped_column(BigInteger)  # who acted
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_admin_actions_target", "target_type", "target_id"),)


class EmailDomainBlock(Base):
    """A domain no one may sign up with an e-mail address of (its subdomains too)."""

    __tablename__ = "email_domain_blocks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]


class CanonicalEmailBlock(Base):
    """An e-mail address no one may sign up with again, kept as the SHA-256 of its canonical
    form (Mastodon's: lower case, no dots and nothing after a `+` before the @)."""

    __tablename__ = "canonical_email_blocks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    canonical_email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reference_account_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class IpBlock(Base):
    """An address or range (CIDR) the node treats apart: `sign_up_requires_approval`,
    `sign_up_block` or `no_access` (every request refused), until `expires_at`."""

    __tablename__ = "ip_blocks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ip: Mapped[str] = mapped_column(String(64), unique=True)
    severity: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class TrendReview(Base):
    """A moderator's verdict on a trend: `kind` is `tag` (key: the lower-cased name),
    `status` (key: the post id) or `link`; a rejected one is not shown as trending."""

    __tablename__ = "trend_reviews"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    trendable: Mapped[bool] = mapped_column(Boolean)
    reviewed_at: Mapped[datetime]

"""Accounts (local and remote) and the local users behind them; what a profile shows beside
them: endorsements, featured tags, private notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade
from bocage.store.models.graph import follow_of


class Account(Base):
    """An actor: a local person (with a `User`) or, later, a remote one (domain set)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    note_source: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[Any]] = mapped_column(default=list)
    avatar: Mapped[str | None] = mapped_column(String(200))  # media storage key
    header: Mapped[str | None] = mapped_column(String(200))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # What its owner says of it (Mastodon's profile settings): an automated account (a
    # `Service` actor), listed in the directory and suggestions, its public posts open to
    # full-text search, its followers and following lists hidden. Opt-in, as on Mastodon.
    bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    indexable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hide_collections: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    did: Mapped[str | None] = mapped_column(String(100), unique=True)
    # A remote account's did was bound with proof of possession (core/inbound/remote.py): an
    # unproven binding (made before proofs were asked) gives way to a proven claim.
    did_proven: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    identity_seed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rsa_private_pem: Mapped[str | None] = mapped_column(Text)
    rsa_public_pem: Mapped[str | None] = mapped_column(Text)
    followers_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    statuses_count: Mapped[int] = mapped_column(default=0)
    last_status_at: Mapped[datetime | None]
    # Head of this author's signed log: contiguous seq, hash of the last entry.
    log_seq: Mapped[int] = mapped_column(default=0)
    log_head: Mapped[str | None] = mapped_column(String(80))
    # Bumped by a trigger on every update (migration 0016): pages cache rows by version.
    row_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Other accounts of the same person (FEP-7628 `alsoKnownAs`): a Move to one of them is
    # accepted. `moved_to_id` is set once the account has moved; no foreign key, a moved
    # account outlives its new home's row (as a reply outlives its parent).
    also_known_as: Mapped[list[Any] | None]  # NULL for accounts older than aliases
    # Other nodes that hold and serve this account's objects (FEP-ef61 `gateways`, without
    # the home node): the pubs a local account registered with, or a remote actor's list.
    gateways: Mapped[list[Any] | None]
    moved_to_id: Mapped[int | None] = mapped_column(BigInteger)

    # Handles are unique case-insensitively; local accounts have no domain (NULL).
    __table_args__ = (
        Index(
            "uq_accounts_handle",
            func.lower(username),
            func.coalesce(domain, ""),
            unique=True,
        ),
        # The few suspended accounts, for the timelines' "author not suspended" check:
        # without it PostgreSQL scans every account (2.8 ms at 20k) to find none.
        Index(
            "ix_accounts_suspended",
            "id",
            sqlite_where=text("suspended"),
            postgresql_where=text("suspended"),
        ),
    )


class User(Base):
    """Login credentials and role of a local account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    signup_reason: Mapped[str] = mapped_column(Text, default="")
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # Posting defaults (Mastodon's `source[privacy]`, `[sensitive]`, `[language]`): what a
    # new post takes when the app sends none.
    default_privacy: Mapped[str] = mapped_column(
        String(16), default="public", server_default="public"
    )
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    default_language: Mapped[str | None] = mapped_column(String(16))


class Endorsement(Base):
    """An account someone features on their profile (Mastodon's account pins): only someone
    they follow, so it goes when the follow goes."""

    __tablename__ = "endorsements"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int]
    target_id: Mapped[int]
    created_at: Mapped[datetime]
    __table_args__ = (
        follow_of("account_id", "target_id"),
        UniqueConstraint("account_id", "target_id", name="uq_endorsements_pair"),
    )


class AccountNote(Base):
    """A private note someone keeps about another account (Mastodon's Relationship.note)."""

    __tablename__ = "account_notes"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    comment: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class AccountDomainBlock(Base):
    """A server someone hides from themselves (Mastodon's user domain blocks): its accounts'
    posts and notifications are left out of what they see, its accounts cannot follow them."""

    __tablename__ = "account_domain_blocks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    domain: Mapped[str] = mapped_column(String(255))  # lower-cased host
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("account_id", "domain"),)


class SuggestionDismissal(Base):
    """An account someone asked not to be suggested again."""

    __tablename__ = "suggestion_dismissals"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]


class FeaturedTag(Base):
    """A hashtag a local account features on its profile (the actor's `featuredTags`)."""

    __tablename__ = "featured_tags"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))  # as its owner wrote it
    tag: Mapped[str] = mapped_column(String(100))  # lower-cased, as post_tags holds it
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("account_id", "tag", name="uq_featured_tags_pair"),)

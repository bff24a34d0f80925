"""The social graph: follows (with their options), blocks, mutes, and lists of followed
accounts. `follow_of` is the reference a row makes to a follow (it goes when the follow goes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Follow(Base):
    """A follow; `accepted` is false while it waits as a request on a locked account."""

    __tablename__ = "follows"
    follower_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_follows_target_id_accepted", "target_id", "accepted"),)


class Block(Base):
    __tablename__ = "blocks"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    id: Mapped[int]  # time-sortable: the API pages a person's blocks by it
    __table_args__ = (
        Index("ix_blocks_target_id", "target_id"),
        Index("ix_blocks_account_id_id", "account_id", "id"),
    )


class Mute(Base):
    __tablename__ = "mutes"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]
    id: Mapped[int]  # time-sortable: the API pages a person's mutes by it
    expires_at: Mapped[datetime | None]  # a mute for a while (Mastodon's `duration`)
    # Their notifications silenced too (Mastodon's `notifications`, true unless asked).
    hide_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    __table_args__ = (Index("ix_mutes_account_id_id", "account_id", "id"),)


class UserList(Base):
    """A list of accounts its owner follows (or asked to follow, or is): its own timeline,
    and with `exclusive`, their posts leave the owner's home feed (Mastodon 4.2)."""

    __tablename__ = "lists"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)  # the owner
    title: Mapped[str] = mapped_column(String(256))
    replies_policy: Mapped[str] = mapped_column(String(16), default="list")
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ListMember(Base):
    __tablename__ = "list_accounts"
    list_id: Mapped[int] = mapped_column(cascade("lists.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    # Fan-out asks "which lists hold this author?" for every post: one index probe.
    __table_args__ = (Index("ix_list_accounts_account_id_list_id", "account_id", "list_id"),)


def follow_of(*columns: str) -> ForeignKeyConstraint:
    """A reference to a follow (by its two accounts): the row goes when the follow goes."""
    return ForeignKeyConstraint(
        list(columns),
        ["follows.follower_id", "follows.target_id"],
        ondelete="CASCADE",
    )


class FollowOption(Base):
    """A follow's options when they differ from the defaults (boosts shown, no notice of new
    posts, every language). Most follows have none, so the home fan-out's outer join finds
    no row for them. Stored for a follow request too, and kept when it is accepted."""

    __tablename__ = "follow_options"
    follower_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    target_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    show_reblogs: Mapped[bool] = mapped_column(Boolean)
    notify: Mapped[bool] = mapped_column(Boolean)
    languages: Mapped[list[Any] | None]  # ISO 639 codes; NULL: every language
    __table_args__ = (follow_of("follower_id", "target_id"),)


class TagFollow(Base):
    """A hashtag a local account follows: its public posts come into their home feed."""

    __tablename__ = "tag_follows"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # pages by it
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))  # as its follower wrote it
    tag: Mapped[str] = mapped_column(String(100))  # lower-cased, as post_tags holds it
    created_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("account_id", "tag", name="uq_tag_follows_pair"),
        Index("ix_tag_follows_tag", "tag"),
    )

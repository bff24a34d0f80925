"""Direct conversations and muted threads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class AccountConversation(Base):
    """One account's view of a direct conversation (Mastodon's AccountConversation): a
    thread (by its root post) among the same participants, with its newest direct post and
    whether the account has read it. `participants` are the other accounts, sorted;
    `participants_key` (their sha256) makes the triple unique."""

    __tablename__ = "account_conversations"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"))
    thread_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: the root may go first
    participants: Mapped[list[Any]]
    participants_key: Mapped[str] = mapped_column(String(64))
    last_status_id: Mapped[int] = mapped_column(cascade("posts.id"))
    unread: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint(
            "account_id", "thread_id", "participants_key", name="uq_account_conversations_key"
        ),
        Index("ix_account_conversations_account_id_last_status_id", "account_id", "last_status_id"),
    )


class ConversationPost(Base):
    """A direct post in an account's conversation: when the newest is deleted, the one
    before it becomes the conversation's last status."""

    __tablename__ = "conversation_posts"
    conversation_id: Mapped[int] = mapped_column(
        cascade("account_conversations.id"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    __table_args__ = (Index("ix_conversation_posts_post_id", "post_id"),)


class ThreadMute(Base):
    """A thread (by its root post's id) whose notifications an account no longer wants."""

    __tablename__ = "thread_mutes"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)

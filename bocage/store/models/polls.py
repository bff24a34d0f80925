"""Polls and their votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Poll(Base):
    """A post's poll: its options and their counts, counted here for a local poll, copied
    from the author's server (Question updates) for a remote one."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), unique=True)
    options: Mapped[list[Any]]  # titles, in order
    tallies: Mapped[list[Any]]  # votes per option, same order
    multiple: Mapped[bool] = mapped_column(Boolean)
    hide_totals: Mapped[bool] = mapped_column(Boolean)
    votes_count: Mapped[int]
    voters_count: Mapped[int | None]  # NULL: a remote poll whose server does not say
    expires_at: Mapped[datetime | None]  # NULL: never (Misskey allows it)
    closed_at: Mapped[datetime | None]  # when its closing was handled (notifications sent)
    # A local poll's counts go out as an Update of its Question, at most every few minutes:
    # set while that Update is queued.
    update_queued: Mapped[bool] = mapped_column(Boolean)


class PollVote(Base):
    """One chosen option of one voter (a multiple-choice vote is several rows). `uri` is the
    vote's Note id: ours for a local voter, the voter's server's for a remote one."""

    __tablename__ = "poll_votes"
    poll_id: Mapped[int] = mapped_column(cascade("polls.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    choice: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_poll_votes_account_id", "account_id"),)

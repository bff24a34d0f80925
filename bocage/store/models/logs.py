"""Author logs, the unit of truth: each entry with the exact signed activity, for local
authors and replicated ones; the tombstones a Delete leaves; the evidence of a forked log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Tombstone(Base):
    """The URI of something deleted: never resurrected, never fetched again."""

    __tablename__ = "tombstones"
    uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    deleted_at: Mapped[datetime]


class LogEntry(Base):
    """One entry of an author's signed log (see ARCHITECTURE.md, "Peer replication").

    `entry` is the signed entry {author, seq, prev, id, digest, signature}; `activity` is
    the exact signed activity JSON, or NULL once its content has been purged by a Delete.
    """

    __tablename__ = "log_entries"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    activity_id: Mapped[str] = mapped_column(String(500), index=True)
    object_id: Mapped[str | None] = mapped_column(String(500), index=True)
    activity_type: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(80))
    entry_hash: Mapped[str] = mapped_column(String(80))
    entry: Mapped[str] = mapped_column(Text)
    activity: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class LogFork(Base):
    """Evidence that an author's log forked: two different entries with one seq. The log is
    no longer replicated until the admin looks (`bocage peer forks`, the admin page)."""

    __tablename__ = "log_forks"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    seq: Mapped[int]
    ours: Mapped[str] = mapped_column(Text)  # the entry this node holds, JSON
    theirs: Mapped[str] = mapped_column(Text)  # the conflicting entry, JSON
    peer: Mapped[str] = mapped_column(String(500))
    seen_at: Mapped[datetime]

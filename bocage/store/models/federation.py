"""Other servers as this node knows them: remote actors' documents and keys, the inbound
activities stored before they are applied (with their verdicts), and each host's delivery
health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class RemoteActor(Base):
    """What this node knows of a remote account beyond its `accounts` row: where to deliver,
    which key signs its requests, where its profile lives. Refreshed when it goes stale."""

    __tablename__ = "remote_actors"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    inbox: Mapped[str] = mapped_column(String(500))
    shared_inbox: Mapped[str | None] = mapped_column(String(500))
    key_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    followers_url: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(500))
    avatar_url: Mapped[str | None] = mapped_column(String(1000))
    header_url: Mapped[str | None] = mapped_column(String(1000))
    moved_to: Mapped[str | None] = mapped_column(String(500))
    fetched_at: Mapped[datetime]
    # A did the actor lists (`assertionMethod`) with no identity proof: bound only once an
    # object signed by its key as this actor verifies.
    claimed_did: Mapped[str | None] = mapped_column(String(100))


class InboundActivity(Base):
    """An activity as it arrived at an inbox (or from a peer's log), stored before the 202:
    nothing accepted is lost, and its id makes a second delivery of the same activity by the
    same actor a no-op. `outcome` says what became of it once processed: "applied", or
    "refused" with a `reason` a person reads (NULL while it waits for its job)."""

    __tablename__ = "inbound_activities"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    activity_id: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    verified_by: Mapped[str] = mapped_column(String(16))  # "signature" or "proof"
    received_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("actor", "activity_id", name="uq_inbound_activities_actor_activity_id"),
    )


class RemoteHost(Base):
    """Per remote server: the signature scheme it accepts, and whether it is reachable."""

    __tablename__ = "remote_hosts"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    signature_scheme: Mapped[str | None] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    parked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]

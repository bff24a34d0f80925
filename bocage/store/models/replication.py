"""What replication keeps beside the logs: objects held as signed, authors who chose this node
as a gateway, known peers and the candidates other peers taught."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class Peer(Base):
    """Another node this one replicates author logs with (docs/protocol.md)."""

    __tablename__ = "peers"
    url: Mapped[str] = mapped_column(String(500), primary_key=True)  # its base URL
    source: Mapped[str] = mapped_column(String(16))  # manual, follow, exchange, lan
    added_at: Mapped[datetime]
    last_sync_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="new")  # new, ok, unreachable, refused
    last_error: Mapped[str | None] = mapped_column(Text)
    # Good entries raise it, anything that fails verification lowers it; a peer below
    # zero is asked last, and one far below is no longer asked at all.
    score: Mapped[int] = mapped_column(default=0)
    entries_received: Mapped[int] = mapped_column(default=0)


class PeerCandidate(Base):
    """A node another peer named in a clock exchange: a claim, not a peer. It is asked once
    whether it is a node (its clock); only then is it a peer (docs/protocol.md, "Discovery")."""

    __tablename__ = "peer_candidates"
    url: Mapped[str] = mapped_column(String(500), primary_key=True)  # its base URL
    taught_by: Mapped[str] = mapped_column(String(500), index=True)  # the peer that named it
    learned_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]  # when it was asked for its clock (once, ever)
    last_error: Mapped[str | None] = mapped_column(Text)  # why it is not a peer


class GatewayConsent(Base):
    """On a pub (`bocage serve --pub`): an account that registered this node as its gateway,
    with its signed consent (docs/protocol.md, "Pubs"). Its full log is kept here."""

    __tablename__ = "gateway_consents"
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), primary_key=True)
    consent: Mapped[str] = mapped_column(Text)  # the signed GatewayConsent, JSON
    received_at: Mapped[datetime]


class HeldObject(Base):
    """A remote object as its author signed it (FEP-8b32 proof checked), fetched outside a
    replicated log (a post seen in a thread, opened by a link): kept so that this node can
    re-serve it verifiably at `/.well-known/apgateway/{did}/{path}` (docs/protocol.md)."""

    __tablename__ = "held_objects"
    uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)
    document: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime]

"""Intake: an inbound activity stored durably, once, with the job that will apply it.

Principle 3 ("nothing accepted is ever lost"): what the ActivityPub inbox answers 202 for, and
what peer replication accepts from an author's log, is written here before anything else
happens; the `inbox.process` job (`activitypub/receive.py`) applies it later. Shared by both
faces, so neither writes into the other.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bocage.federation import normalize
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.models import InboundActivity
from bocage.store.prepared import Prepared
from bocage.store.queue import enqueue

log = logging.getLogger("bocage.p2p")
INBOUND = InboundActivity.__table__
# The one write of every inbox request, compiled once (store/prepared.py); ON CONFLICT DO
# NOTHING is spelled the same by SQLite and PostgreSQL.
STORE = Prepared(
    postgresql.insert(INBOUND).on_conflict_do_nothing().returning(INBOUND.c.id),
    keys=("id", "activity_id", "actor", "body", "verified_by", "received_at"),  # no verdict yet
)


def store(session: Session, incoming: normalize.Incoming, body: bytes, verified_by: str) -> None:
    """The raw activity, durably, once; and the job that will apply it (the committed job
    wakes the worker). A duplicate is a no-op."""
    row: dict[str, Any] = {
        "id": new_id(),
        "activity_id": incoming.id,
        "actor": incoming.actor,
        "body": body.decode("utf-8", "replace"),
        "verified_by": verified_by,
        "received_at": now(),
    }
    if STORE.execute(session, row).fetchone() is not None:  # None: already received
        enqueue(session, "inbox.process", {"inbound_id": row["id"]})


def store_replicated(session: Session, activity: dict[str, Any]) -> None:
    """An activity accepted from an author's log (`replica.accept`), verified by its proof
    there: into the inbox pipeline like any other, once per activity."""
    try:
        incoming = normalize.activity(activity)
    except normalize.Malformed as bad:
        log.info("replicated activity %s not applied: %s", activity.get("id"), bad)
        return
    store(session, incoming, orjson.dumps(activity), "proof")

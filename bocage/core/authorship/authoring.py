"""Authoring: every activity this node writes is signed by its author and appended to the
author's log, in the same transaction as the change it describes.

A log entry is {author, seq, prev, id, digest, signature}: `digest` covers the signed activity,
`prev` is the hash of the previous entry, and the author's Ed25519 key signs the entry. The
entry signs the digest, not the content, so content can be purged (Delete) while the chain
stays verifiable. See ARCHITECTURE.md, "Peer replication".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import base58
import orjson
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bocage.core.authorship import activities
from bocage.crypto import sealing
from bocage.crypto.keys import IdentityKey
from bocage.crypto.proofs import (
    SignedObject,
    canonical_json,
    digest,
    sign_canonical,
)
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.store.models import Account, Follow, LogEntry
from bocage.store.prepared import Prepared
from bocage.store.queue import enqueue
from bocage.store.sql import update_rows

ACCOUNTS = Account.__table__
# Compiled once and run on the driver's cursor: see store/prepared.py.
# Locking the head serialises concurrent appends by one author on PostgreSQL (SQLite
# serialises all writers), so seq stays contiguous. FOR NO KEY UPDATE, the lock an UPDATE of
# the counters takes anyway: a stronger FOR UPDATE would deadlock against another
# transaction's post INSERT, whose foreign key holds a KEY SHARE lock on this row.
LOCK_HEAD = Prepared(
    select(ACCOUNTS.c.log_seq, ACCOUNTS.c.log_head)
    .where(ACCOUNTS.c.id == bindparam("account"))
    .with_for_update(key_share=True)
)
MOVE_HEAD = Prepared(
    update(ACCOUNTS)
    .where(ACCOUNTS.c.id == bindparam("account"))
    .values(log_seq=bindparam("seq"), log_head=bindparam("head"))
)
FOLLOWS = Follow.__table__
HAS_REMOTE_FOLLOWER = Prepared(
    select(FOLLOWS.c.follower_id)
    .join(ACCOUNTS, ACCOUNTS.c.id == FOLLOWS.c.follower_id)
    .where(FOLLOWS.c.target_id == bindparam("account"), ACCOUNTS.c.domain.is_not(None))
    .limit(1)
)
ADD_ENTRY = Prepared(
    insert(LogEntry.__table__),
    keys=tuple(column.name for column in LogEntry.__table__.columns),
)


def identity_key(account: Account) -> IdentityKey:
    if account.identity_seed is None:
        raise ValueError(f"account {account.username} has no identity key on this node")
    return _key_from_stored(account.identity_seed)


@lru_cache(maxsize=1024)
def _key_from_stored(stored: bytes) -> IdentityKey:
    # Opening the sealed seed and deriving the public key cost ~60 µs; an active author
    # signs many times a minute: once per key and process.
    return IdentityKey.from_seed(sealing.open_seed(stored))


def verification_method(did: str) -> str:
    # did:key verification methods need no fetch: any peer can check the proof offline.
    return f"{did}#{did.removeprefix('did:key:')}"


def sign(
    account: Account, document: dict[str, Any], embedded: SignedObject | None = None
) -> SignedObject:
    """`document` with the account's eddsa-jcs-2022 proof, and its canonical bytes
    (`embedded`: its `object`, already signed, see `proofs.sign_canonical`)."""
    assert account.did is not None
    key, method = identity_key(account), verification_method(account.did)
    return sign_canonical(document, key, method, embedded=embedded)


def append(
    session: Session,
    account: Account,
    activity: dict[str, Any],
    embedded: SignedObject | None = None,
    *,
    also_to: Sequence[str] = (),
) -> None:
    """Sign `activity` as `account` and append it to the account's log. `also_to`: remote
    actors it is delivered to without being named in it (a poll's voters get its counts)."""
    signed = sign(account, activity, embedded)
    last_seq, prev = LOCK_HEAD.execute(session, {"account": account.id}).fetchone()
    seq = last_seq + 1
    entry: dict[str, Any] = {
        "author": account.did,
        "seq": seq,
        "prev": prev,
        "id": signed.document["id"],
        "digest": signed.digest,
    }
    signature = identity_key(account).sign(canonical_json(entry))
    entry["signature"] = "z" + base58.b58encode(signature).decode()
    entry_hash = digest(entry)
    ADD_ENTRY.execute(session, _entry_row(account, seq, signed.document, entry, entry_hash))
    MOVE_HEAD.execute(session, {"account": account.id, "seq": seq, "head": entry_hash})
    # The row is already up to date (MOVE_HEAD): the object learns it without becoming
    # dirty, or the ORM would flush the same UPDATE again (~0.4 ms a post).
    set_committed_value(account, "log_seq", seq)
    set_committed_value(account, "log_head", entry_hash)
    events.emit(session, "log.appended", account_id=account.id, seq=seq)
    if also_to or _may_reach_remote(session, account, signed.document):
        # Transactional outbox: the ActivityPub face delivers it to the inboxes it addresses.
        payload: dict[str, Any] = {"account_id": account.id, "seq": seq}
        if also_to:
            payload["also_to"] = list(also_to)
        enqueue(session, "federate", payload)


def _may_reach_remote(session: Session, account: Account, activity: dict[str, Any]) -> bool:
    """Whether the activity could go to another server: it names something remote, or its
    author's followers when one of them is remote. A job that would deliver nothing costs
    a third of a local post's creation, so it is not queued. Erring towards True is safe."""
    parts = urlsplit(account.uri)
    local = f"{parts.scheme}://{parts.netloc}/"
    named = activities.addressees(activity)
    obj = activity.get("object")
    named.add(obj if isinstance(obj, str) else "")
    if isinstance(obj, dict) and isinstance(obj.get("inReplyTo"), str):
        named.add(obj["inReplyTo"])
    named -= {activities.PUBLIC, ""}
    if any(not uri.startswith(local) for uri in named):
        return True
    return f"{account.uri}/followers" in named and _has_remote_follower(session, account.id)


def _has_remote_follower(session: Session, account_id: int) -> bool:
    return HAS_REMOTE_FOLLOWER.execute(session, {"account": account_id}).fetchone() is not None


def append_if_local(session: Session, account: Account, activity: dict[str, Any]) -> None:
    """Log what a local account does. A remote account's activity was signed by its own
    server and arrived here already made: it is applied, not authored again."""
    if account.domain is None:
        append(session, account, activity)


def _entry_row(
    account: Account, seq: int, signed: dict[str, Any], entry: dict[str, Any], entry_hash: str
) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "seq": seq,
        "activity_id": signed["id"],
        "object_id": activities.object_id_of(signed),
        "activity_type": signed["type"],
        "digest": entry["digest"],
        "entry_hash": entry_hash,
        "entry": orjson.dumps(entry).decode(),
        "activity": orjson.dumps(signed).decode(),
        "created_at": now(),
    }


def signed_activity(session: Session, activity_id: str) -> dict[str, Any] | None:
    """An activity this node authored, exactly as signed (None if unknown or purged)."""
    stored = session.execute(
        select(LogEntry.activity).where(LogEntry.activity_id == activity_id)
    ).scalar_one_or_none()
    return orjson.loads(stored) if stored else None


def signed_object(session: Session, object_id: str) -> dict[str, Any] | None:
    """The latest version of an object this node authored, from its latest Create or Update,
    with that activity's proof (the object is covered by it, not by a proof of its own)."""
    activity = latest_version(session, object_id)
    obj = activity.get("object") if activity else None
    return obj if isinstance(obj, dict) else None


def latest_version(
    session: Session, object_id: str, account_id: int | None = None
) -> dict[str, Any] | None:
    """The latest Create or Update of an object in a log held here (the author's, when
    `account_id` is given), as signed; None if there is none or its content was purged."""
    query = select(LogEntry.activity).where(
        LogEntry.object_id == object_id, LogEntry.activity_type.in_(("Create", "Update"))
    )
    if account_id is not None:
        query = query.where(LogEntry.account_id == account_id)
    stored = session.scalars(query.order_by(LogEntry.seq.desc()).limit(1)).first()
    return orjson.loads(stored) if stored else None


def superseded(session: Session, activity_id: str, object_id: str) -> bool:
    """Whether the log held here has a later Create or Update of the object than the
    activity `activity_id`: edits apply in the author's order (seq), never by wall clock,
    however late or out of order their deliveries and jobs run."""
    entry = session.execute(
        select(LogEntry.account_id, LogEntry.seq).where(LogEntry.activity_id == activity_id)
    ).first()
    if entry is None:
        return False  # not in a log held here: nothing to order it by
    later = select(LogEntry.seq).where(
        LogEntry.account_id == entry.account_id,
        LogEntry.object_id == object_id,
        LogEntry.seq > entry.seq,
        LogEntry.activity_type.in_(("Create", "Update")),
    )
    return session.execute(later.limit(1)).first() is not None


def purge_object(session: Session, account_id: int, object_id: str) -> None:
    """Forget the content of every entry about a deleted object; the entries stay."""
    session.execute(
        update_rows(LogEntry)
        .where(LogEntry.account_id == account_id, LogEntry.object_id == object_id)
        .where(LogEntry.activity_type != "Delete")
        .values(activity=None)
    )

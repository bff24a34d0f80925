"""Authoring: every activity this node writes is signed by its author and appended to the
author's log, in the same transaction as the change it describes.

A log entry is {author, seq, prev, id, digest, signature}: `digest` covers the signed activity,
`prev` is the hash of the previous entry, and the author's Ed25519 key signs the entry. The
entry signs the digest, not the content, so content can be purged (Delete) while the chain
stays verifiable. See ARCHITECTURE.md, "Peer replication".
"""

from __future__ import annotations

from typing import Any

import base58
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.clock import now
from bocage.crypto.keys import IdentityKey
from bocage.crypto.proofs import canonical_json, digest, sign_object
from bocage.store.models import Account, LogEntry
from bocage.store.sql import insert_rows, update_rows


def identity_key(account: Account) -> IdentityKey:
    if account.identity_seed is None:
        raise ValueError(f"account {account.username} has no identity key on this node")
    return IdentityKey.from_seed(account.identity_seed)


def verification_method(did: str) -> str:
    # did:key verification methods need no fetch: any peer can check the proof offline.
    return f"{did}#{did.removeprefix('did:key:')}"


def sign(account: Account, document: dict[str, Any]) -> dict[str, Any]:
    assert account.did is not None
    return sign_object(document, identity_key(account), verification_method(account.did))


def append(session: Session, account: Account, activity: dict[str, Any]) -> LogEntry:
    """Sign `activity` as `account` and append it to the account's log."""
    signed = sign(account, activity)
    seq, prev = _lock_log_head(session, account.id)
    entry: dict[str, Any] = {
        "author": account.did,
        "seq": seq,
        "prev": prev,
        "id": signed["id"],
        "digest": digest(signed),
    }
    signature = identity_key(account).sign(canonical_json(entry))
    entry["signature"] = "z" + base58.b58encode(signature).decode()
    entry_hash = digest(entry)
    row = {
        "account_id": account.id,
        "seq": seq,
        "activity_id": signed["id"],
        "object_id": _object_id(signed),
        "activity_type": signed["type"],
        "digest": entry["digest"],
        "entry_hash": entry_hash,
        "entry": orjson.dumps(entry).decode(),
        "activity": orjson.dumps(signed).decode(),
        "created_at": now(),
    }
    insert_rows(session, LogEntry, [row])
    session.execute(
        update_rows(Account)
        .where(Account.id == account.id)
        .values(log_seq=seq, log_head=entry_hash)
    )
    account.log_seq, account.log_head = seq, entry_hash
    return LogEntry(**row)


def purge_object(session: Session, account_id: int, object_id: str) -> None:
    """Forget the content of every entry about a deleted object; the entries stay."""
    session.execute(
        update_rows(LogEntry)
        .where(LogEntry.account_id == account_id, LogEntry.object_id == object_id)
        .where(LogEntry.activity_type != "Delete")
        .values(activity=None)
    )


def _lock_log_head(session: Session, account_id: int) -> tuple[int, str | None]:
    # Serialises concurrent appends by one author on PostgreSQL (SQLite serialises all
    # writers), so seq stays contiguous. FOR NO KEY UPDATE, the lock an UPDATE of the
    # counters takes anyway: a stronger FOR UPDATE would deadlock against another
    # transaction's post INSERT, whose foreign key holds a KEY SHARE lock on this row.
    result = session.execute(
        select(Account.log_seq, Account.log_head)
        .where(Account.id == account_id)
        .with_for_update(key_share=True)
    )
    seq, head = result.one()
    return seq + 1, head


def _object_id(activity: dict[str, Any]) -> str | None:
    obj = activity.get("object")
    if isinstance(obj, dict):
        return obj.get("id")
    return obj if isinstance(obj, str) else None

"""The author logs this node holds: its own users' (written by core/authorship/authoring.py)
and replicas of other authors', accepted entry by entry after verification
(core/replication/verify.py).

A replica lives where the home log does: `log_entries` rows of the author's account, whose
`log_seq`/`log_head` are the head held here. The content of an accepted activity also enters
the inbox pipeline (the caller's `apply`: `federation/intake.py`), so a post replicated from a
peer becomes a post here exactly as one delivered by ActivityPub would, once (by activity id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bocage.core.authorship import activities
from bocage.core.authorship.authoring import purge_object
from bocage.core.inbound import remote
from bocage.core.replication import verify
from bocage.core.replication.verify import Head, Rejected, Unbound
from bocage.crypto.keys import KeyFormatError, public_key_from_did
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.urls import host, same_origin
from bocage.store.models import (
    Account,
    Follow,
    GatewayConsent,
    HeldObject,
    LogEntry,
    LogFork,
    Tombstone,
)

log = logging.getLogger("bocage.p2p")
CLOCK_LIMIT = 10_000  # dids listed at most in one clock answer
PAGE_DEFAULT, PAGE_MAX = 200, 1000
# What becomes of an accepted activity, in the same transaction (the caller says).
Apply = Callable[[Session, dict[str, Any]], None]


@dataclass(frozen=True)
class Accepted:
    """What became of a page of entries from a peer."""

    stored: int  # new entries verified and stored
    reason: str | None = None  # why the page stopped early, if it did
    bad: bool = False  # the peer sent something that failed verification
    forked: bool = False  # the author's log forked (evidence recorded)
    unchained: bool = False  # the next entry does not chain to our head: compare that seq
    # Genuine entries by another actor than the did's here: our binding's fault, no blame.
    unbound: bool = False


def head_of(account: Account) -> Head:
    return Head(account.log_seq, account.log_head)


def by_did(session: Session, did: str) -> Account | None:
    return session.scalars(select(Account).where(Account.did == did)).first()


def is_forked(session: Session, account_id: int) -> bool:
    return session.get(LogFork, account_id) is not None


def held(session: Session, did: str) -> Account | None:
    """The account whose log this node can serve: a local author, or a replicated one."""
    account = by_did(session, did)
    if account is None or account.suspended:
        return None
    if account.domain is not None and account.log_seq == 0:
        return None
    return account


def clock(session: Session, dids: list[str] | None = None) -> dict[str, int]:
    """{did: latest seq held} for the given dids (all logs held when None), forks left out."""
    query = select(Account.did, Account.log_seq).where(
        Account.did.is_not(None),
        Account.log_seq > 0,
        Account.suspended.is_(False),
        ~exists().where(LogFork.account_id == Account.id),
    )
    if dids is not None:
        query = query.where(Account.did.in_(dids[:CLOCK_LIMIT]))
    rows = session.execute(query.limit(CLOCK_LIMIT))
    return {did: seq for did, seq in rows if did is not None}  # as the query says


def wanted(session: Session) -> list[Account]:
    """Remote authors whose full log this node keeps: those its users follow, those that
    registered it as their pub, and those it already replicates. (Its own users' logs are
    written here.)"""
    followed = exists().where(
        Follow.target_id == Account.id,
        Follow.accepted.is_(True),
        Follow.follower_id.in_(select(Account.id).where(Account.domain.is_(None))),
    )
    query = select(Account).where(
        Account.domain.is_not(None),
        Account.did.is_not(None),
        Account.suspended.is_(False),
        followed | (Account.log_seq > 0) | exists().where(GatewayConsent.account_id == Account.id),
        ~exists().where(LogFork.account_id == Account.id),
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class WantedLog:
    """A remote author's log this node keeps, and the seq held of it."""

    account_id: int
    did: str
    head: int


def wanted_logs(session: Session) -> list[WantedLog]:
    return [WantedLog(a.id, a.did, a.log_seq) for a in wanted(session) if a.did]


def heads(session: Session, dids: frozenset[str]) -> dict[str, tuple[int, int]]:
    """{did: (account id, seq held)} of the wanted logs among `dids`."""
    return {log.did: (log.account_id, log.head) for log in wanted_logs(session) if log.did in dids}


def head_held(session: Session, account_id: int) -> int | None:
    """The seq held of an author's log; None once it forked (nothing more is fetched)."""
    account = session.get(Account, account_id)
    if account is None or is_forked(session, account_id):
        return None
    return account.log_seq


def author_of(session: Session, uri: str) -> tuple[str, str] | None:
    """(did, actor id) of the known author whose id the object's id extends
    (`…/users/alice/statuses/1` is Alice's): only an author with a did:key can be checked."""
    candidates = session.execute(
        select(Account.uri, Account.did).where(
            Account.domain == host(uri), Account.did.is_not(None)
        )
    ).all()
    owners = [
        (actor, did)
        for actor, did in candidates
        if did is not None and uri.startswith(actor.rstrip("/") + "/")
    ]
    if not owners:
        return None
    actor, did = max(owners, key=lambda owner: len(owner[0]))
    return did, actor


def page(session: Session, account: Account, after: int, limit: int) -> list[bytes]:
    """NDJSON lines of the entries after seq `after`: each entry with its activity, which is
    withheld when deleted or not public (see docs/protocol.md, "Gateway endpoints")."""
    rows = session.execute(
        select(LogEntry.entry, LogEntry.activity, LogEntry.object_id)
        .where(LogEntry.account_id == account.id, LogEntry.seq > after)
        .order_by(LogEntry.seq)
        .limit(limit)
    ).all()
    return [_line(session, entry, activity, object_id) for entry, activity, object_id in rows]


def _line(session: Session, entry: str, activity: str | None, object_id: str | None) -> bytes:
    document = orjson.loads(activity) if activity else None
    if activity and document is not None and activities.is_public(document):
        return b'{"entry":%s,"activity":%s}' % (entry.encode(), activity.encode())
    deleted = object_id is not None and remote.is_tombstoned(session, object_id)
    # Content gone with a known object: purged by a Delete. Otherwise it was never public.
    withheld = "deleted" if deleted or (document is None and object_id) else "private"
    return b'{"entry":%s,"activity":null,"withheld":"%s"}' % (entry.encode(), withheld.encode())


def held_object(session: Session, did: str, uri: str) -> dict[str, Any] | None:
    """A public object by the author with `did`, kept as signed when it was fetched."""
    document = session.scalars(
        select(HeldObject.document)
        .join(Account, Account.id == HeldObject.account_id)
        .where(HeldObject.uri == uri, Account.did == did)
    ).first()
    return orjson.loads(document) if document else None


def accept(
    session: Session, account_id: int, lines: list[Any], peer: str, apply: Apply
) -> Accepted:
    """Verify and store, in seq order, the entries of a page from `peer`. Stops at the first
    one that fails: nothing after a bad entry is stored, so there is never a gap. Each stored
    activity is handed to `apply` in the same transaction (the inbox pipeline, once per
    activity: `federation/intake.py`)."""
    account = session.get(Account, account_id)
    if account is None or account.did is None or is_forked(session, account_id):
        return Accepted(0, "this log is not replicated here")
    try:
        key = public_key_from_did(account.did)
    except KeyFormatError:
        return Accepted(0, f"{account.did[:80]} is not an Ed25519 did:key")
    stored = 0
    buried = _tombstoned(session, lines)
    # One flush for the page, not one per entry (each lookup below would flush the entry
    # before it): the rows go in as one executemany when the unit of work commits.
    with session.no_autoflush:
        for line in lines:
            try:
                outcome = _accept_one(session, account, key, line, peer, buried, apply)
            except Unbound as unbound:
                # Genuine entries of the did, by another actor: the binding is wrong (never
                # proven) or in question; the peer only relayed them and is not blamed.
                log.warning("log of %s from %s: %s", account.did, peer, unbound)
                remote.unbind_unproven(session, account)
                return Accepted(stored, str(unbound), unbound=True)
            except Rejected as bad:
                log.warning("entry from %s for %s rejected: %s", peer, account.did, bad)
                return Accepted(stored, str(bad), bad=True)
            if isinstance(outcome, Accepted):
                return Accepted(
                    stored, outcome.reason, forked=outcome.forked, unchained=outcome.unchained
                )
            stored += outcome
    return Accepted(stored)


def _tombstoned(session: Session, lines: list[Any]) -> set[str]:
    """The objects of a page's activities that are tombstoned here: one query a page."""
    named = {
        object_id
        for line in lines
        if isinstance(line, dict)
        and isinstance(line.get("activity"), dict)
        and (object_id := activities.object_id_of(line["activity"]))
    }
    if not named:
        return set()
    return set(session.scalars(select(Tombstone.uri).where(Tombstone.uri.in_(named))))


def _accept_one(
    session: Session,
    account: Account,
    key: bytes,
    line: Any,
    peer: str,
    buried: set[str],
    apply: Apply,
) -> Accepted | int:
    """Store one entry: 1 if stored, 0 if already held; an `Accepted` when the page must stop
    without blame on the peer."""
    if not isinstance(line, dict):
        raise Rejected("a line of the log is not a JSON object")
    entry = verify.check_signed(line.get("entry"), account.did or "", key)
    head = head_of(account)
    if entry["seq"] <= head.seq:
        return _compare_held(session, account, entry, peer) or 0
    if entry["seq"] == head.seq + 1 and entry.get("prev") != head.hash:
        return Accepted(0, f"entry {entry['seq']} does not chain to ours", unchained=True)
    verify.check_next(entry, head)
    activity = line.get("activity")
    if activity is not None:
        verify.check_activity(entry, activity, key, account.uri)
        # Signed by the did's key as this actor: the proof of possession an old, unproven
        # binding lacked.
        account.did_proven = True
    _store(session, account, entry, activity, buried, apply)
    return 1


def _compare_held(
    session: Session, account: Account, entry: dict[str, Any], peer: str
) -> Accepted | None:
    """An entry with a seq already held: the same one (nothing to do) or a fork."""
    session.flush()  # an entry of this very page must be found (rare: duplicates only)
    ours = session.get(LogEntry, (account.id, entry["seq"]))
    if ours is None or ours.entry_hash == verify.entry_hash(entry):
        return None
    session.add(
        LogFork(
            account_id=account.id,
            seq=entry["seq"],
            ours=ours.entry,
            theirs=orjson.dumps(entry).decode(),
            peer=peer,
            seen_at=now(),
        )
    )
    log.error("the log of %s forked at seq %d (seen from %s)", account.did, entry["seq"], peer)
    return Accepted(0, f"the log forked at seq {entry['seq']}", forked=True)


def _store(
    session: Session,
    account: Account,
    entry: dict[str, Any],
    activity: dict[str, Any] | None,
    buried: set[str],
    apply: Apply,
) -> None:
    object_id = activities.object_id_of(activity) if activity is not None else None
    if activity is not None and activity.get("type") != "Delete" and object_id:
        if object_id in buried:
            activity = None  # deleted before: never stored again, never re-served
    entry_hash = verify.entry_hash(entry)
    session.add(
        LogEntry(
            account_id=account.id,
            seq=entry["seq"],
            activity_id=entry["id"],
            object_id=object_id,
            activity_type=str(activity.get("type", ""))[:32] if activity else "",
            digest=entry["digest"],
            entry_hash=entry_hash,
            entry=orjson.dumps(entry).decode(),
            activity=orjson.dumps(activity).decode() if activity is not None else None,
            created_at=now(),
        )
    )
    account.log_seq, account.log_head = entry["seq"], entry_hash
    events.emit(session, "log.appended", account_id=account.id, seq=entry["seq"])
    if activity is None:
        return
    if activity.get("type") == "Delete" and object_id:
        session.flush()
        purge_object(session, account.id, object_id)
        # Tombstoned now, not when the inbox job runs: a Create of it queued earlier, or
        # offered again by a peer, must find it gone.
        # (Only the author's own objects: a Delete cannot bury someone else's post.)
        if same_origin(object_id, account.uri) and object_id not in buried:
            session.add(Tombstone(uri=object_id, deleted_at=now()))
            buried.add(object_id)
    apply(session, activity)


@dataclass(frozen=True)
class ForkShown:
    did: str
    seq: int
    peer: str
    seen_at: Any


def forks(session: Session) -> list[ForkShown]:
    """Forked logs, for the admin: whose, where, seen from which peer."""
    rows = session.execute(
        select(Account.did, LogFork.seq, LogFork.peer, LogFork.seen_at).join(
            Account, Account.id == LogFork.account_id
        )
    ).all()
    return [ForkShown(did or "?", seq, peer, seen) for did, seq, peer, seen in rows]

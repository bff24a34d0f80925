"""Outbox and delivery: every activity a local account authors reaches the remote inboxes
it is addressed to, once per inbox, with retries.

Two jobs, both enqueued in the transaction that made the change (transactional outbox):
- `federate` (in the database): reads the signed activity from the author's log, works out
  its inboxes from its addressing (`inboxes_for`), and enqueues one `deliver` per inbox.
  A shared inbox stands for every follower on its server: one request per server.
- `deliver` (network): POSTs the exact signed bytes, HTTP-signed by the author (a double
  knock: RFC 9421, then draft-cavage, or the other way round once a host is known), and retries
  with exponential backoff and jitter for more than two days. A server that keeps failing is
  parked (`HostBook`): its deliveries wait without being attempted until it is due again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.core.authorship import activities
from bocage.core.authorship.activities import PUBLIC
from bocage.core.inbound import remote
from bocage.core.instance import domains
from bocage.core.moderation import reports
from bocage.crypto import httpsig, sealing
from bocage.federation import normalize
from bocage.federation.client import BlockedAddress, FetchError, Signer, transient
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.store import queue
from bocage.store.db import Database
from bocage.store.models import Account, Follow, LogEntry, Post, RemoteActor, RemoteHost
from bocage.store.queue import PermanentJobError

if TYPE_CHECKING:
    from bocage.activitypub.federation import Federation

log = logging.getLogger("bocage.activitypub")
DELIVERY_SPAN = timedelta(days=2)  # how long an unreachable inbox keeps being retried
PARK_AFTER = 4  # consecutive failures before a host is parked
PARK_MAX = timedelta(hours=6)


def delivery_attempts(span: timedelta = DELIVERY_SPAN) -> int:
    """Attempts whose backoff, even with the shortest jitter, spans `span`."""
    waited, attempts = 0.0, 1
    while waited < span.total_seconds():
        waited += queue.backoff_floor(attempts)
        attempts += 1
    return attempts


DELIVERY_ATTEMPTS = delivery_attempts()


# --- federate: who gets it -------------------------------------------------------------------


def federate(session: Session, ctx: Context, payload: dict[str, Any]) -> None:
    entry = session.get(LogEntry, (payload["account_id"], payload["seq"]))
    author = session.get(Account, payload["account_id"])
    if entry is None or entry.activity is None or author is None:
        return  # purged by a Delete before it went out: the Delete goes instead
    activity = orjson.loads(entry.activity)
    rules = domains.rules(session)
    also_to = payload.get("also_to", [])
    for inbox in sorted(inboxes_for(session, ctx, author, activity, also_to)):
        if rules.refuses(normalize.host(inbox)):
            continue  # the admin suspended that server, or it is not on the allow-list
        queue.enqueue(
            session,
            "deliver",
            {"inbox": inbox, "account_id": author.id, "seq": entry.seq},
            max_attempts=DELIVERY_ATTEMPTS,
        )


def inboxes_for(
    session: Session,
    ctx: Context,
    author: Account,
    activity: dict[str, Any],
    also_to: list[str] | None = None,
) -> set[str]:
    """The remote inboxes an activity is addressed to. Visibility lives in the addressing the
    core wrote (`core.activities.audience`): followers-only names the followers collection and
    never Public, direct names only the mentioned, so honouring it here is honouring `to`/`cc`.
    `also_to`: remote actors the author's node sends it to unnamed (`authoring.append`)."""
    addressed = activities.addressees(activity)
    inboxes: set[str] = set()
    if ctx.urls.followers(author.username) in addressed:
        inboxes |= _follower_inboxes(session, author.id)
    remote_uris = [
        uri for uri in addressed if uri != PUBLIC and not uri.startswith(ctx.urls.base + "/")
    ]
    remote_uris += _reply_parent_author(session, activity) + list(also_to or [])
    if remote_uris:
        rows = session.execute(
            select(func.coalesce(RemoteActor.shared_inbox, RemoteActor.inbox))
            .join(Account, Account.id == RemoteActor.account_id)
            .where(Account.uri.in_(remote_uris))
        )
        inboxes.update(rows.scalars())
    return inboxes


def _follower_inboxes(session: Session, author_id: int) -> set[str]:
    rows = session.execute(
        select(func.coalesce(RemoteActor.shared_inbox, RemoteActor.inbox))
        .join(Follow, Follow.follower_id == RemoteActor.account_id)
        .where(Follow.target_id == author_id, Follow.accepted.is_(True))
        .distinct()
    )
    return set(rows.scalars())


def _reply_parent_author(session: Session, activity: dict[str, Any]) -> list[str]:
    """A reply goes to the author of the post it answers, as on Mastodon."""
    obj = activity.get("object")
    parent = obj.get("inReplyTo") if isinstance(obj, dict) else None
    if not isinstance(parent, str):
        return []
    author_uri = session.execute(
        select(Account.uri)
        .join(Post, Post.account_id == Account.id)
        .where(Post.uri == parent, Account.domain.is_not(None))
    ).scalar_one_or_none()
    return [author_uri] if author_uri else []


def forward_report(session: Session, ctx: Context, payload: dict[str, Any]) -> None:
    """A report about a remote account, sent to its server as a Flag by the node itself."""
    found = reports.flag_document(session, ctx, payload["report_id"])
    actor = remote.remote_actor(session, found[1].id) if found else None
    if found is None or actor is None:
        return  # the report or the account is gone
    flag = found[0]
    queue.enqueue(
        session,
        "deliver",
        {"inbox": actor.shared_inbox or actor.inbox, "body": orjson.dumps(flag).decode()},
        max_attempts=DELIVERY_ATTEMPTS,
    )


# --- deliver: one inbox ----------------------------------------------------------------------


class SignedBodies:
    """The signed bytes and signer of an activity, read once however many inboxes get it."""

    def __init__(self, db: Database, ctx: Context, size: int = 256) -> None:
        self.db = db
        self.ctx = ctx
        self.size = size
        self._cache: OrderedDict[tuple[int, int], tuple[bytes, Signer] | None] = OrderedDict()

    async def get(self, account_id: int, seq: int) -> tuple[bytes, Signer] | None:
        key = (account_id, seq)
        if key not in self._cache:
            self._cache[key] = await self.db.read(self._load, account_id, seq)
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def _load(self, session: Session, account_id: int, seq: int) -> tuple[bytes, Signer] | None:
        row = session.execute(
            select(LogEntry.activity, Account.username, Account.rsa_private_pem)
            .join(Account, Account.id == LogEntry.account_id)
            .where(LogEntry.account_id == account_id, LogEntry.seq == seq)
        ).first()
        if row is None or row[0] is None or row[2] is None:
            return None
        return row[0].encode(), Signer(self.ctx.urls.key_id(row[1]), sealing.open_pem(row[2]))


class HostBook:
    """Per remote host: parked until when, and the signature scheme it accepts. Kept in memory
    for the hot path and written to `remote_hosts` when it changes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._loaded = False
        self.parked: dict[str, datetime] = {}
        self.failures: dict[str, int] = {}
        self.schemes: dict[str, httpsig.Scheme] = {}

    async def load(self) -> None:
        if not self._loaded:
            rows = await self.db.read(lambda s: list(s.execute(select(RemoteHost)).scalars()))
            for row in rows:
                self.failures[row.domain] = row.failures
                if row.parked_until:
                    self.parked[row.domain] = row.parked_until
                if httpsig.is_scheme(row.signature_scheme):
                    self.schemes[row.domain] = row.signature_scheme
            self._loaded = True

    def parked_until(self, host: str) -> datetime | None:
        until = self.parked.get(host)
        return until if until and until > now() else None

    async def succeeded(self, host: str, scheme: httpsig.Scheme) -> None:
        changed = self.failures.get(host, 0) or self.schemes.get(host) != scheme
        self.failures[host] = 0
        self.parked.pop(host, None)
        self.schemes[host] = scheme
        if changed:
            await self.db.write(_save_host, host, 0, None, None, scheme)

    async def failed(self, host: str, error: str) -> None:
        count = self.failures.get(host, 0) + 1
        self.failures[host] = count
        until = None
        if count >= PARK_AFTER:
            wait = min(timedelta(minutes=2 ** (count - PARK_AFTER)), PARK_MAX)
            until = now() + wait
            self.parked[host] = until
        await self.db.write(_save_host, host, count, until, error[:500], self.schemes.get(host))


def _save_host(
    session: Session,
    domain: str,
    failures: int,
    parked_until: datetime | None,
    error: str | None,
    scheme: str | None,
) -> None:
    row = session.get(RemoteHost, domain) or RemoteHost(domain=domain)
    row.failures = failures
    row.parked_until = parked_until
    row.last_error = error
    row.signature_scheme = scheme
    if failures == 0:
        row.last_success_at = now()
    session.add(row)


async def deliver(federation: Federation, payload: dict[str, Any]) -> None:
    """POST one activity to one inbox: an entry of an author's log, signed by its author, or
    (`body`) something the node itself sends, signed by the instance actor."""
    if "body" in payload:
        body, signer = payload["body"].encode(), await federation.resolver.instance_signer()
    else:
        signed = await federation.bodies.get(payload["account_id"], payload["seq"])
        if signed is None:
            return  # purged (deleted) or the author is gone: nothing to deliver
        body, signer = signed
    inbox: str = payload["inbox"]
    host = normalize.host(inbox)
    if (await federation.domain_rules()).refuses(host):
        raise PermanentJobError(f"this node no longer federates with {host}")
    hosts = federation.hosts
    await hosts.load()
    parked = hosts.parked_until(host)
    if parked is not None:
        raise FetchError(f"{host} is parked until {parked:%Y-%m-%d %H:%M} after repeated failures")
    try:
        knocked = await federation.client.post(inbox, body, signer, hosts.schemes.get(host))
    except BlockedAddress as blocked:
        raise PermanentJobError(str(blocked)) from blocked
    except FetchError as failed:
        await hosts.failed(host, str(failed))
        raise
    status = knocked.response.status
    if knocked.response.succeeded:
        await hosts.succeeded(host, knocked.scheme)
        return
    if transient(status):
        await hosts.failed(host, f"answered {status}")
        raise FetchError(f"{inbox} answered {status}; will retry", status)
    raise PermanentJobError(f"{inbox} refused the activity with {status}")

"""What this node serves to its peers (docs/protocol.md, "Gateway endpoints"): pages of the
logs it holds, by the author's did, the same pages as backlog to a live subscriber, and the
public objects it holds at their portable ids (FEP-ef61). A forked log is served no more; a
deleted object answers as a tombstone. The transport (HTTP, WebSockets) is the p2p face's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from bocage.core.authorship import activities, authoring, portable
from bocage.core.inbound import remote
from bocage.core.replication import replica
from bocage.kernel.errors import DomainError, NotFound
from bocage.store.models import Account


class ForkedLog(DomainError):
    """The author's log forked: it is served no more."""

    status = 410


@dataclass(frozen=True)
class LogPage:
    lines: list[bytes]  # NDJSON lines (replica.page)
    last: int  # the seq of the last line
    more: bool  # entries follow it


def log_page(session: Session, did: str, after: int, limit: int) -> LogPage:
    """The entries after `after`, at most `limit`. `NotFound` when no log of that author is
    held here, `ForkedLog` once it forked."""
    account = replica.held(session, did)
    if account is None:
        raise NotFound("This node holds no log of that author.")
    if replica.is_forked(session, account.id):
        raise ForkedLog("This author's log forked: this node no longer serves it.")
    lines = replica.page(session, account, after, limit)
    last = after + len(lines)
    return LogPage(lines, last, last < account.log_seq)


def live_log(session: Session, did: str) -> int | None:
    """The account id of a log a live subscriber may follow (held, not forked), or None."""
    account = replica.held(session, did)
    if account is None or replica.is_forked(session, account.id):
        return None
    return account.id


def backlog(session: Session, account_id: int, after: int, limit: int) -> list[bytes]:
    """A live subscriber's next entries of a log, as `log_page` serves them."""
    account = session.get(Account, account_id)
    return replica.page(session, account, after, limit) if account else []


def portable_object(
    session: Session, did: str, path: str
) -> dict[str, Any] | Literal["gone"] | None:
    """The public object at `ap://{did}/{path}`: from the author's log held here, else as
    kept when it was fetched (a thread); "gone" once deleted, None when not held."""
    uri = portable.https_id(session, f"{portable.SCHEME}{did}/{path}")
    if uri is None:
        return None
    if remote.is_tombstoned(session, uri):
        return "gone"
    account = replica.held(session, did)
    activity = authoring.latest_version(session, uri, account.id) if account else None
    if activity is None:
        return replica.held_object(session, did, uri)
    obj = activity.get("object")
    return obj if isinstance(obj, dict) and activities.is_public(activity) else None

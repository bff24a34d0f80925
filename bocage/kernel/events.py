"""Events that streaming clients, peers and the job worker are told about.

A core function that changes something a connected client shows calls `emit` inside its
transaction. The event is held on the session and published only once that transaction
commits: a unit of work that rolls back (or runs twice, see store/db.py) tells nobody
anything it did not keep. Events carry references (ids), never rendered JSON: each web
process renders them for the people connected to it, as each of them may see them.

Kinds and their data:
- `post.published`  {post_id}       a post or boost has been fanned out to home feeds
- `post.updated`    {post_id}       a post was edited (or its poll changed)
- `post.deleted`    {post_id, readers}  a post is gone; `readers`: the accounts whose home
                                        feed had it, or None when anyone may have seen it
- `notification`    {notification_id, account_id}
- `conversation`    {account_id, conversation_id}       a direct conversation changed
- `filters.changed` {account_id}
- `announcement.reaction` {announcement_id, name, count}  an emoji under an announcement was
                                        added or taken back: `count` of that emoji now
- `token.revoked`   {token_id}          an access token is gone: its streams end
- `account.suspended` {account_id}      a local account's tokens stop working at once
- `account.moved`   {account_id}        a local account moved: its tokens see it at once
- `replica.wanted`  {account_id}        a remote author with a did:key is now followed here:
                                        its log is fetched from peers at once
- `log.appended`    {account_id, seq}   an author's log (its own or a replica) grew: peers
                                        subscribed to it live are sent the entry
- `jobs.queued`     {}                  jobs were enqueued (store/queue.py): workers wake
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

PENDING = "bocage.events"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    data: dict[str, Any]


def emit(session: Session, kind: str, **data: Any) -> None:
    """Publish `kind` once the session's transaction commits."""
    session.info.setdefault(PENDING, []).append(Event(kind, data))


def pending(session: Session) -> list[Event]:
    """The events emitted so far in the session's transaction."""
    events: list[Event] = session.info.get(PENDING, [])
    return events


def take_pending(session: Session) -> list[Event]:
    """The events of the transaction just committed (and forget them)."""
    events: list[Event] = session.info.pop(PENDING, [])
    return events


def mark(session: Session) -> int:
    """Where the events stand before a savepoint (see `discard_since`)."""
    return len(session.info.get(PENDING, []))


def discard_since(session: Session, position: int) -> None:
    """A savepoint rolled back: what was emitted inside it did not happen."""
    del session.info.get(PENDING, [])[position:]

"""A person's notification policy (Mastodon 4.3's NotificationPolicy and NotifyService's
DropCondition and FilterCondition): for each kind of stranger, `accept` their notifications,
`filter` them into a request the person accepts or dismisses, or `drop` them.

Only the filterable kinds are judged (mentions, boosts, follows, follow requests,
favourites); polls, edits and new posts of people one asked to hear of always pass. A sender
whose request was accepted (`NotificationPermission`) always passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.core.instance import domains
from bocage.core.reading.visibility import Visibility
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.store.models import (
    Account,
    Follow,
    Mention,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
    Post,
    User,
)

# Ours: a reply is a mention on Mastodon, so it is filtered as one.
FILTERABLE = frozenset(
    {"mention", "reply", "reblog", "follow", "follow_request", "favourite", "quote"}
)
NEW_ACCOUNT = timedelta(days=30)
NEW_FOLLOWER = timedelta(days=3)
THREAD_DEPTH = 100  # ancestors looked at for the person's own private mention of the sender
MAX_MEANINGFUL_COUNT = 100


class Action(StrEnum):
    ACCEPT = "accept"
    FILTER = "filter"
    DROP = "drop"


FIELDS = (
    "for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions",
    "for_limited_accounts",
)  # fmt: skip
DEFAULTS = {
    "for_not_following": Action.ACCEPT,
    "for_not_followers": Action.ACCEPT,
    "for_new_accounts": Action.ACCEPT,
    "for_private_mentions": Action.FILTER,
    "for_limited_accounts": Action.FILTER,
}


@dataclass(frozen=True)
class Policy:
    """A person's policy, with the pending requests it gathered (the `summary`)."""

    for_not_following: Action
    for_not_followers: Action
    for_new_accounts: Action
    for_private_mentions: Action
    for_limited_accounts: Action
    pending_requests_count: int = 0
    pending_notifications_count: int = 0


def read(session: Session, account_id: int) -> Policy:
    values = read_actions(session, account_id)
    counts = (
        select(NotificationRequest.notifications_count)
        .where(NotificationRequest.account_id == account_id)
        .limit(MAX_MEANINGFUL_COUNT)
        .subquery()
    )
    pending = session.execute(
        select(func.count(), func.coalesce(func.sum(counts.c.notifications_count), 0))
    ).one()
    return Policy(
        **values,
        pending_requests_count=int(pending[0]),
        pending_notifications_count=int(pending[1]),
    )


def update(session: Session, account_id: int, changes: dict[str, Any]) -> Policy:
    """Change the fields given (`accept`, `filter` or `drop` each); the others stay."""
    current = read(session, account_id)
    values: dict[str, Any] = {name: getattr(current, name).value for name in FIELDS}
    for name, value in changes.items():
        if name not in FIELDS:
            continue
        if str(value) not in Action.__members__.values():
            raise InvalidInput(
                f"Validation failed: {name} must be one of accept, filter or drop, "
                f"not {str(value)!r}."
            )
        values[name] = str(value)
    row = session.get(NotificationPolicy, account_id)
    if row is None:
        session.add(NotificationPolicy(account_id=account_id, updated_at=now(), **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now()
    session.flush()
    return read(session, account_id)


def judge(
    session: Session, recipient: Account, sender_id: int, kind: str, post_id: int | None
) -> Action:
    """What the recipient's policy does with this notification: the strictest action any
    case that applies asks for (a case that drops wins over one that filters)."""
    if kind not in FILTERABLE:
        return Action.ACCEPT
    if session.get(NotificationPermission, (recipient.id, sender_id)) is not None:
        return Action.ACCEPT
    sender = session.get(Account, sender_id)
    if sender is None or (kind in ("mention", "reply") and _staff(session, sender_id)):
        return Action.ACCEPT  # a moderator's message always reaches its person
    policy = read_actions(session, recipient.id)
    if all(action is Action.ACCEPT for action in policy.values()):
        return Action.ACCEPT
    following = _follows(session, recipient.id, sender_id)
    cases = {
        "for_not_following": lambda: not following,
        "for_not_followers": lambda: _not_follower(session, sender_id, recipient.id),
        "for_new_accounts": lambda: not following and sender.created_at > now() - NEW_ACCOUNT,
        "for_private_mentions": lambda: (
            not following
            and _private_mention_not_in_response(session, recipient.id, sender_id, kind, post_id)
        ),
        "for_limited_accounts": lambda: not following and _limited(session, sender),
    }
    found = Action.ACCEPT
    for name, applies in cases.items():
        action = policy[name]
        if action is Action.ACCEPT or (action is Action.FILTER and found is Action.FILTER):
            continue
        if applies():
            if action is Action.DROP:
                return Action.DROP
            found = Action.FILTER
    return found


def read_actions(session: Session, account_id: int) -> dict[str, Action]:
    row = session.get(NotificationPolicy, account_id)
    return {name: Action(getattr(row, name)) if row else DEFAULTS[name] for name in FIELDS}


def _follows(session: Session, follower: int, target: int) -> bool:
    found = session.get(Follow, (follower, target))
    return found is not None and found.accepted


def _not_follower(session: Session, sender: int, recipient: int) -> bool:
    """The sender does not follow the recipient, or only since less than three days."""
    found = session.get(Follow, (sender, recipient))
    return found is None or not found.accepted or found.created_at > now() - NEW_FOLLOWER


def _staff(session: Session, account_id: int) -> bool:
    found = session.execute(select(User.is_admin).where(User.account_id == account_id))
    return bool(found.scalar())


def _limited(session: Session, sender: Account) -> bool:
    """Mastodon's `silenced?`: here, an account of a server the admin limited."""
    return sender.domain is not None and domains.is_silenced(session, sender.domain)


def _private_mention_not_in_response(
    session: Session, recipient: int, sender: int, kind: str, post_id: int | None
) -> bool:
    """A direct post that mentions the recipient and answers none of the recipient's own
    direct posts mentioning the sender, up its thread."""
    if kind not in ("mention", "reply") or post_id is None:
        return False
    post = session.get(Post, post_id)
    if post is None or post.visibility != Visibility.DIRECT:
        return False
    parent_id, seen = post.in_reply_to_id, set[int]()
    while parent_id is not None and parent_id not in seen and len(seen) < THREAD_DEPTH:
        seen.add(parent_id)
        parent = session.get(Post, parent_id)
        if parent is None:
            return True
        if (
            parent.account_id == recipient
            and parent.visibility == Visibility.DIRECT
            and session.get(Mention, (parent.id, sender)) is not None
        ):
            return False
        parent_id = parent.in_reply_to_id
    return True

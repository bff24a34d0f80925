"""Finding people to follow: the profile directory (accounts that opted in, Mastodon's
`discoverable`) and follow suggestions (accounts followed by those one follows, then this
node's most-followed accounts), without anyone one follows, asked to follow, blocks, is
blocked by, mutes, hides the server of, or dismissed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.reading.visibility import no_block_between, no_domain_block
from bocage.kernel.clock import now
from bocage.store.models import Account, Follow, Mute, SuggestionDismissal
from bocage.store.upsert import insert_ignore

FRIENDS_OF_FRIENDS = "friends_of_friends"
MOST_FOLLOWED = "most_followed"


@dataclass(frozen=True)
class Suggestion:
    account: Account
    sources: tuple[str, ...]  # Mastodon's v2 `sources`: why it is suggested


def _listed() -> ColumnElement[bool]:
    """Accounts that opted in and may be shown (Mastodon's `Account.discoverable` scope:
    not suspended, not moved away)."""
    return and_(
        Account.discoverable.is_(True),
        Account.suspended.is_(False),
        Account.moved_to_id.is_(None),
    )


def _not_excluded_by(viewer_id: int) -> ColumnElement[bool]:
    """Not blocked either way, not muted, not on a server the viewer hid (Mastodon's
    `not_excluded_by_account`: the viewer themselves stays)."""
    return and_(
        no_block_between(viewer_id, Account.id),
        ~exists().where(Mute.account_id == viewer_id, Mute.target_id == Account.id),
        no_domain_block(viewer_id, Account.id),
    )


def directory(
    session: Session,
    viewer_id: int | None,
    *,
    order: str,
    local_only: bool,
    offset: int,
    limit: int,
) -> list[Account]:
    """The profile directory: `order` "active" (latest post first) or "new" (newest
    account first); `local_only`: this node's accounts only."""
    query = select(Account).where(_listed())
    if local_only:
        query = query.where(Account.domain.is_(None))
    if viewer_id is not None:
        query = query.where(_not_excluded_by(viewer_id))
    if order == "new":
        query = query.order_by(Account.id.desc())
    else:
        query = query.order_by(Account.last_status_at.desc().nulls_last(), Account.id.desc())
    return list(session.execute(query.offset(offset).limit(limit)).scalars())


def suggestions(session: Session, viewer_id: int, limit: int) -> list[Suggestion]:
    """Up to `limit` accounts to follow, those followed by the most of the people the viewer
    follows first, then this node's most-followed accounts."""
    # Aliases: the query below joins `follows` itself (a bare subquery would correlate).
    mine, theirs = aliased(Follow), aliased(Follow)
    followed_or_asked = select(mine.target_id).where(mine.follower_id == viewer_id)
    dismissed = select(SuggestionDismissal.target_id).where(
        SuggestionDismissal.account_id == viewer_id
    )
    candidates = and_(
        Account.id != viewer_id,
        _listed(),
        _not_excluded_by(viewer_id),
        Account.id.not_in(followed_or_asked),
        Account.id.not_in(dismissed),
    )
    friends = select(theirs.target_id).where(
        theirs.follower_id == viewer_id, theirs.accepted.is_(True)
    )
    friends_of_friends = (
        select(Account, func.count().label("shared"))
        .join(Follow, Follow.target_id == Account.id)
        .where(Follow.follower_id.in_(friends), Follow.accepted.is_(True), candidates)
        .group_by(Account.id)
        .order_by(func.count().desc(), Account.followers_count.desc(), Account.id.desc())
        .limit(limit)
    )
    found: dict[int, Suggestion] = {}
    for account, _shared in session.execute(friends_of_friends).all():
        found[account.id] = Suggestion(account, (FRIENDS_OF_FRIENDS,))
    if len(found) < limit:
        popular = (
            select(Account)
            .where(candidates, Account.domain.is_(None), Account.followers_count > 0)
            .order_by(Account.followers_count.desc(), Account.id.desc())
            .limit(limit)
        )
        for account in session.execute(popular).scalars():
            if account.id in found:
                found[account.id] = Suggestion(account, (*found[account.id].sources, MOST_FOLLOWED))
            elif len(found) < limit:
                found[account.id] = Suggestion(account, (MOST_FOLLOWED,))
    return list(found.values())


def dismiss(session: Session, viewer_id: int, target_id: int) -> None:
    """Never suggest `target_id` to `viewer_id` again."""
    row = {"account_id": viewer_id, "target_id": target_id, "created_at": now()}
    insert_ignore(session, SuggestionDismissal, row)

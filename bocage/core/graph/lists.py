"""Lists: named sets of accounts someone follows, each with its own timeline (Mastodon's lists,
docs.joinmastodon.org/methods/lists).

The rules, as Mastodon has them:
- a list belongs to one account and only it may see or change it (anyone else: not found);
- at most 50 lists an account; a title is required; `replies_policy` is `followed`, `list`
  (the default) or `none`; `exclusive` keeps the members' posts out of the home feed;
- a member is an account the owner follows or has asked to follow (its posts arrive once
  the request is accepted), or the owner;
- an unfollow, a rejected request or a block takes the account off the owner's lists; when
  a followed account moves, its new account takes its place on them.

List timelines are written on fan-out like the home feed (core/timelines/list_feeds.py):
adding a member copies their latest posts into the list, removing one takes their posts out.
Exclusive lists act on the home feed at once, as a mute does: joining one takes the member's
posts out of the owner's home feed, leaving the last one brings their latest posts back
(Mastodon only applies the rule to posts published afterwards). Changing a list's replies
policy applies to posts published afterwards, as on Mastodon. Mutes, blocks and suspensions
apply when a list timeline is read, as for the home feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bocage.core.reading import page_rows
from bocage.core.timelines import feeds, list_feeds, timelines
from bocage.core.timelines.timelines import NEWEST, OLDEST, Page, PostView
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    Follow,
    ListFeedEntry,
    ListMember,
    UserList,
)

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50  # Mastodon's List::PER_ACCOUNT_LIMIT
MAX_TITLE = 256
NOT_FOUND = "Record not found"

LIST_FEED = timelines.feed_slice(ListFeedEntry, ListFeedEntry.list_id)
LIST_STAMPS = page_rows.feed_stamps(LIST_FEED)


# --- the lists themselves ------------------------------------------------------------------


def of_owner(session: Session, owner_id: int) -> list[UserList]:
    rows = session.execute(
        select(UserList).where(UserList.account_id == owner_id).order_by(UserList.id)
    )
    return list(rows.scalars())


def get(session: Session, owner_id: int, list_id: int | None) -> UserList:
    """The owner's list; someone else's, like a missing one, is not found."""
    found = session.get(UserList, list_id) if list_id else None
    if found is None or found.account_id != owner_id:
        raise NotFound(NOT_FOUND)
    return found


def create(
    session: Session,
    owner_id: int,
    title: str,
    replies_policy: str = "list",
    exclusive: bool = False,
) -> UserList:
    count = session.execute(
        select(func.count()).select_from(UserList).where(UserList.account_id == owner_id)
    ).scalar_one()
    if count >= MAX_LISTS:
        raise InvalidInput("Validation failed: You have reached the maximum number of lists")
    row = UserList(
        id=new_id(),
        account_id=owner_id,
        title=_title(title),
        replies_policy=_policy(replies_policy),
        exclusive=exclusive,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row


def update(
    session: Session,
    owner_id: int,
    list_id: int | None,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> UserList:
    """Change what is given; what is not (None) stays as it is."""
    row = get(session, owner_id, list_id)
    if title is not None:
        row.title = _title(title)
    if replies_policy is not None:
        row.replies_policy = _policy(replies_policy)
    if exclusive is not None and exclusive != row.exclusive:
        row.exclusive = exclusive
        people = _member_ids(session, row.id)
        if exclusive:
            _leave_home(session, owner_id, people)
        else:
            _back_home(session, owner_id, people, row.id)
    session.flush()
    return row


def delete_list(session: Session, owner_id: int, list_id: int | None) -> None:
    """Its members and timeline go with it (foreign keys cascade)."""
    row = get(session, owner_id, list_id)
    if row.exclusive:
        _back_home(session, owner_id, _member_ids(session, row.id), row.id)
    session.delete(row)
    session.flush()


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InvalidInput("Validation failed: Title can't be blank")
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            f"Validation failed: Title is too long (maximum is {MAX_TITLE} characters)"
        )
    return title


def _policy(policy: str) -> str:
    if policy not in REPLIES_POLICIES:
        raise InvalidInput(f"'{policy}' is not a valid replies_policy")
    return policy


# --- members -------------------------------------------------------------------------------


def members(
    session: Session,
    owner_id: int,
    list_id: int | None,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int | None = 40,
) -> list[Account]:
    """The list's accounts (suspended ones left out), newest account first; `limit` None:
    all of them, as Mastodon gives for `limit=0`."""
    row = get(session, owner_id, list_id)
    query = (
        select(Account)
        .join(ListMember, ListMember.account_id == Account.id)
        .where(ListMember.list_id == row.id, Account.suspended.is_(False))
    )
    if max_id is not None:
        query = query.where(Account.id < max_id)
    if min_id is not None:
        query = query.where(Account.id > min_id)
    query = query.order_by(Account.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def add_members(
    session: Session, owner_id: int, list_id: int | None, account_ids: Iterable[int]
) -> None:
    """All or none: an unknown account is not found; one already on the list, or that the
    owner neither follows nor asked to follow, is refused (Mastodon's messages)."""
    row = get(session, owner_id, list_id)
    wanted = list(dict.fromkeys(account_ids))
    if not wanted:
        return
    known = set(session.execute(select(Account.id).where(Account.id.in_(wanted))).scalars())
    if known != set(wanted):
        raise NotFound(NOT_FOUND)
    already = session.execute(
        select(ListMember.account_id).where(
            ListMember.list_id == row.id, ListMember.account_id.in_(wanted)
        )
    )
    if already.first() is not None:
        raise InvalidInput("Validation failed: Account is already on the list")
    follows = _follows(session, owner_id, wanted)
    if any(account_id != owner_id and account_id not in follows for account_id in wanted):
        raise InvalidInput("Validation failed: Account must be a followed account")
    holder = list_feeds.Holder.of(row)
    for account_id in wanted:
        _join(session, holder, account_id, active=account_id == owner_id or follows[account_id])


def _join(session: Session, holder: list_feeds.Holder, account_id: int, *, active: bool) -> None:
    """Put an account on a list: its latest posts fill the list if the owner's follow is
    accepted (a pending request: once accepted), and leave home if the list is exclusive."""
    session.add(ListMember(list_id=holder.list_id, account_id=account_id))
    session.flush()
    if active:
        list_feeds.backfill(session, holder, account_id)
    if holder.exclusive:
        _leave_home(session, holder.owner_id, [account_id])


def remove_members(
    session: Session, owner_id: int, list_id: int | None, account_ids: Iterable[int]
) -> None:
    """Accounts not on the list are no error (Mastodon answers the same)."""
    row = get(session, owner_id, list_id)
    asked = set(account_ids)
    gone = [account_id for account_id in _member_ids(session, row.id) if account_id in asked]
    if not gone:
        return
    session.execute(
        delete(ListMember).where(ListMember.list_id == row.id, ListMember.account_id.in_(gone))
    )
    list_feeds.forget(session, [row.id], gone)
    if row.exclusive:
        _back_home(session, owner_id, gone, row.id)


def lists_with(session: Session, owner_id: int, account_id: int | None) -> list[UserList]:
    """The owner's lists that hold the account (none for a suspended account)."""
    account = session.get(Account, account_id) if account_id else None
    if account is None:
        raise NotFound(NOT_FOUND)
    if account.suspended:
        return []
    rows = session.execute(
        select(UserList)
        .join(ListMember, ListMember.list_id == UserList.id)
        .where(UserList.account_id == owner_id, ListMember.account_id == account.id)
        .order_by(UserList.id)
    )
    return list(rows.scalars())


def _member_ids(session: Session, list_id: int) -> list[int]:
    rows = session.execute(select(ListMember.account_id).where(ListMember.list_id == list_id))
    return list(rows.scalars())


def _follows(session: Session, owner_id: int, targets: list[int]) -> dict[int, bool]:
    """Target → whether the owner's follow of it is accepted (absent: no follow at all)."""
    rows = session.execute(
        select(Follow.target_id, Follow.accepted).where(
            Follow.follower_id == owner_id, Follow.target_id.in_(targets)
        )
    )
    return {target: bool(accepted) for target, accepted in rows.all()}


# --- exclusive lists and the home feed -----------------------------------------------------


def _leave_home(session: Session, owner_id: int, people: Iterable[int]) -> None:
    """People just put on an exclusive list: their posts leave the owner's home feed."""
    for person in people:
        if person != owner_id:
            feeds.forget_author(session, owner_id, person)


def _back_home(session: Session, owner_id: int, people: Iterable[int], leaving: int) -> None:
    """People no longer on exclusive list `leaving`: those the owner follows, and that are on
    none of the owner's other exclusive lists, are back in the home feed."""
    people = [person for person in people if person != owner_id]
    if not people:
        return
    still_out = set(
        session.execute(
            select(ListMember.account_id)
            .join(UserList, UserList.id == ListMember.list_id)
            .where(
                UserList.account_id == owner_id,
                UserList.exclusive.is_(True),
                UserList.id != leaving,
                ListMember.account_id.in_(people),
            )
        ).scalars()
    )
    follows = _follows(session, owner_id, people)
    for person in people:
        if follows.get(person) and person not in still_out:
            feeds.backfill(session, owner_id, person)


# --- the social graph's effects (called by core/graph/graph.py) ----------------------------------


def follow_accepted(session: Session, owner_id: int, target_id: int) -> None:
    """A follow (request) of `target_id` accepted: lists that hold it start showing it."""
    holders = _holding(session, owner_id, target_id)
    for holder in holders:
        list_feeds.backfill(session, holder, target_id)
    if any(holder.exclusive for holder in holders):
        feeds.forget_author(session, owner_id, target_id)  # the follow's backfill put it there


def follow_ended(session: Session, owner_id: int, target_id: int) -> None:
    """An unfollow, a rejected request or a block: the account leaves the owner's lists."""
    holders = _holding(session, owner_id, target_id)
    if not holders:
        return
    list_ids = [holder.list_id for holder in holders]
    session.execute(
        delete(ListMember).where(
            ListMember.list_id.in_(list_ids), ListMember.account_id == target_id
        )
    )
    list_feeds.forget(session, list_ids, [target_id])


def moved(session: Session, owner_id: int, old_id: int, new_id: int) -> None:
    """The owner followed an account that moved, and now follows (or asked to follow) its new
    account: the lists that held the old one hold the new one (Mastodon's MoveWorker). The
    old one leaves them with the unfollow that comes next."""
    holders = _holding(session, owner_id, old_id)
    follows = _follows(session, owner_id, [new_id]) if holders else {}
    if new_id not in follows:
        return  # no lists, or the new account could not be followed
    already = set(
        session.execute(
            select(ListMember.list_id).where(
                ListMember.account_id == new_id,
                ListMember.list_id.in_([holder.list_id for holder in holders]),
            )
        ).scalars()
    )
    for holder in holders:
        if holder.list_id not in already:
            _join(session, holder, new_id, active=follows[new_id])


def _holding(session: Session, owner_id: int, account_id: int) -> list[list_feeds.Holder]:
    rows = session.execute(
        select(UserList)
        .join(ListMember, ListMember.list_id == UserList.id)
        .where(UserList.account_id == owner_id, ListMember.account_id == account_id)
    )
    return [list_feeds.Holder.of(row) for row in rows.scalars()]


# --- reading -------------------------------------------------------------------------------


def timeline(session: Session, viewer: Account, list_id: int | None, page: Page) -> list[PostView]:
    """The list's timeline, newest first (only its owner may read it)."""
    row = get(session, viewer.id, list_id)
    page = page.bounded()
    params: dict[str, Any] = {
        "owner": row.id,
        "viewer": viewer.id,
        "max_id": NEWEST if page.max_id is None else page.max_id,
        "min_id": OLDEST if page.min_id is None else page.min_id,
        "limit": page.limit,
    }
    return timelines.feed_page(session, viewer, LIST_STAMPS, params)


def containing(session: Session, post_id: int) -> list[tuple[int, int]]:
    """(list id, owner account id) of every list whose timeline shows the post: the list
    streams (`list:<id>`) a `post.published` event goes to. Read it after the fan-out (the
    `post.created` job) has run; for a deleted post, before the deletion (its entries go
    with it)."""
    rows = session.execute(
        select(ListFeedEntry.list_id, UserList.account_id)
        .join(UserList, UserList.id == ListFeedEntry.list_id)
        .where(ListFeedEntry.post_id == post_id)
    )
    return [(list_id, owner_id) for list_id, owner_id in rows.all()]

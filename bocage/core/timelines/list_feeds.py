"""List feeds, written when posts are published (fan-out on write), beside the home feeds.

Which lists get a post (Mastodon's FanOutOnWriteService#deliver_to_lists! and
FeedManager#filter_from_list?): the lists that hold its author and belong either to the
author or to a local follower whose follow is accepted (a member still waiting on a follow
request gets nothing until it is accepted); never a direct post. A reply to someone else
goes in only if the list's `replies_policy` lets it: `followed` when the owner follows the
account replied to, `list` when that account is on the list, `none` never. A reply to the
list's owner, and an author's reply to their own post (a thread), always go in.

Exclusive lists (Mastodon 4.2): posts by a member of one of the owner's exclusive lists
stay out of the owner's home feed (except the owner's own posts). `deliver` says who those
owners are, so `feeds.fan_out` leaves them out.

The common case costs one index probe: the author is on nobody's list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from bocage.core.reading.visibility import Visibility
from bocage.store.models import Follow, ListFeedEntry, ListMember, Post, UserList
from bocage.store.prepared import Prepared
from bocage.store.upsert import insert_ignore_many

BACKFILL = 40  # posts of a new member copied into a list (as feeds.BACKFILL for a follow)

# The lists that hold an author, with what the fan-out needs of them: run for every post.
HOLDERS = Prepared(
    select(UserList.id, UserList.account_id, UserList.replies_policy, UserList.exclusive)
    .join(ListMember, ListMember.list_id == UserList.id)
    .where(ListMember.account_id == bindparam("author"))
)


@dataclass(frozen=True, slots=True)
class Holder:
    """A list seen from the fan-out: which list, whose, and its rules."""

    list_id: int
    owner_id: int
    replies_policy: str
    exclusive: bool

    @staticmethod
    def of(row: UserList) -> Holder:
        return Holder(row.id, row.account_id, row.replies_policy, row.exclusive)


def deliver(session: Session, post: Post, followers: set[int]) -> set[int]:
    """Write `post` into the lists that should show it; `followers` are the author's local
    accepted followers. Returns the accounts whose home feed must not get it (exclusive)."""
    holders = [Holder(*row) for row in HOLDERS.rows(session, {"author": post.account_id})]
    if not holders:
        return set()
    author = post.account_id
    if post.visibility != Visibility.DIRECT:
        readers = [h for h in holders if h.owner_id in followers or h.owner_id == author]
        admitted = _admitted(session, [(holder, post) for holder in readers])
        rows = [
            {"list_id": holder.list_id, "post_id": post.id, "author_id": author}
            for holder, _post in admitted
        ]
        insert_ignore_many(session, ListFeedEntry, rows)
    return {h.owner_id for h in holders if h.exclusive and h.owner_id != author}


def backfill(session: Session, holder: Holder, author_id: int) -> None:
    """A new (or newly active) member: their latest posts appear in the list right away,
    by the same rules as the fan-out."""
    latest = session.execute(
        select(Post.id, Post.reblog_of_id, Post.in_reply_to_id, Post.in_reply_to_account_id)
        .where(Post.account_id == author_id, Post.visibility != Visibility.DIRECT)
        .order_by(Post.id.desc())
        .limit(BACKFILL)
    )
    posts = [_Candidate(row[0], author_id, *row[1:]) for row in latest.all()]
    admitted = _admitted(session, [(holder, post) for post in posts])
    rows = [
        {"list_id": holder.list_id, "post_id": post.id, "author_id": author_id}
        for _holder, post in admitted
    ]
    insert_ignore_many(session, ListFeedEntry, rows)


def forget(session: Session, list_ids: Iterable[int], author_ids: Iterable[int]) -> None:
    """Members taken off lists (or unfollowed): their posts leave those lists."""
    lists, authors = list(list_ids), list(author_ids)
    if lists and authors:
        session.execute(
            delete(ListFeedEntry).where(
                ListFeedEntry.list_id.in_(lists), ListFeedEntry.author_id.in_(authors)
            )
        )


@dataclass(frozen=True, slots=True)
class _Candidate:
    """What the replies rule reads of a post (a Post has the same attributes)."""

    id: int
    account_id: int
    reblog_of_id: int | None
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None


def _answered(post: Any) -> int | None:
    """The account a post replies to, when the list's replies policy must decide; None for a
    post, a boost, a reply in one's own thread."""
    if post.reblog_of_id is not None or post.in_reply_to_id is None:
        return None
    if post.in_reply_to_account_id == post.account_id:
        return None
    return post.in_reply_to_account_id


def _admitted(session: Session, pairs: Sequence[tuple[Holder, Any]]) -> list[tuple[Holder, Any]]:
    """The (list, post) pairs the lists' replies policies let through, with at most two
    queries for the lot (whom the owners follow, who is on the lists)."""
    asking = [(h, p, _answered(p)) for h, p in pairs]
    open_ = [(h, t) for h, _p, t in asking if t is not None and t != h.owner_id]
    followed = [(h, t) for h, t in open_ if h.replies_policy == "followed"]
    listed = [(h, t) for h, t in open_ if h.replies_policy == "list"]
    follows: set[tuple[int, int]] = set()
    members: set[tuple[int, int]] = set()
    if followed:
        rows = session.execute(
            select(Follow.follower_id, Follow.target_id).where(
                Follow.follower_id.in_({h.owner_id for h, _t in followed}),
                Follow.target_id.in_({t for _h, t in followed}),
                Follow.accepted.is_(True),
            )
        )
        follows = {(follower, target) for follower, target in rows.all()}
    if listed:
        rows = session.execute(
            select(ListMember.list_id, ListMember.account_id).where(
                ListMember.list_id.in_({h.list_id for h, _t in listed}),
                ListMember.account_id.in_({t for _h, t in listed}),
            )
        )
        members = {(list_id, account_id) for list_id, account_id in rows.all()}

    def shown(holder: Holder, target: int | None) -> bool:
        if target is None or target == holder.owner_id:
            return True
        if holder.replies_policy == "followed":
            return (holder.owner_id, target) in follows
        if holder.replies_policy == "list":
            return (holder.list_id, target) in members
        return False  # "none"

    return [(h, p) for h, p, t in asking if shown(h, t)]

"""Home feeds, written when posts are published (fan-out on write), as Mastodon and Takahē do.

Who gets an entry: the author; accepted followers of the author (unless the post is direct);
mentioned accounts. Boosts go to the booster's followers. Entries for the author and for a new
follow's backfill are written in the same transaction, so people see their own posts and a
new follow at once; the fan-out to followers runs in the `post.created` job. Mutes, blocks
and suspensions are applied when reading, so they take effect immediately and are undone
just as fast.

Lists are fed by the same fan-out (core/list_feeds.py): a post goes into the lists that hold
its author, and stays out of the home feed of whoever put the author on an exclusive list.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bocage.core import list_feeds
from bocage.store.models import Account, FeedEntry, Follow, Mention, Post
from bocage.store.prepared import Prepared
from bocage.store.upsert import insert_ignore_many

ADD_ENTRY = Prepared(insert(FeedEntry.__table__), keys=("account_id", "post_id", "author_id"))
BACKFILL = 40  # posts of a newly followed account copied into the follower's feed


def add_own(session: Session, post: Post) -> None:
    """A new post (or boost) in its author's feed; its id is new, so nothing can conflict."""
    entry = {"account_id": post.account_id, "post_id": post.id, "author_id": post.account_id}
    ADD_ENTRY.execute(session, entry)


def fan_out(session: Session, post: Post) -> int:
    """Write `post` into the feeds of everyone who should see it; returns the count."""
    recipients: set[int] = {post.account_id}
    followers: set[int] = set()
    if post.visibility != "direct":
        # Local followers only: remote ones read their own server's feed.
        found = session.execute(
            select(Follow.follower_id)
            .join(Account, Account.id == Follow.follower_id)
            .where(
                Follow.target_id == post.account_id,
                Follow.accepted.is_(True),
                Account.domain.is_(None),
            )
        )
        followers.update(found.scalars())
        recipients.update(followers)
    if post.reblog_of_id is None:
        mentioned = session.execute(select(Mention.account_id).where(Mention.post_id == post.id))
        recipients.update(mentioned.scalars())
    # Lists that hold the author get it too; owners of an exclusive one don't, at home.
    recipients -= list_feeds.deliver(session, post, followers)
    rows = [
        {"account_id": account_id, "post_id": post.id, "author_id": post.account_id}
        for account_id in recipients
    ]
    insert_ignore_many(session, FeedEntry, rows)
    return len(rows)


def backfill(session: Session, follower_id: int, author_id: int) -> None:
    """A new follow: the author's latest posts appear in the follower's feed right away."""
    latest = session.execute(
        select(Post.id)
        .where(Post.account_id == author_id, Post.visibility != "direct")
        .order_by(Post.id.desc())
        .limit(BACKFILL)
    )
    rows = [
        {"account_id": follower_id, "post_id": post_id, "author_id": author_id}
        for post_id in latest.scalars()
    ]
    insert_ignore_many(session, FeedEntry, rows)


def forget_author(session: Session, account_id: int, author_id: int) -> None:
    """An unfollow (or a block): the author's posts leave the account's feed."""
    session.execute(
        delete(FeedEntry).where(
            FeedEntry.account_id == account_id, FeedEntry.author_id == author_id
        )
    )

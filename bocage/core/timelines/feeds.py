"""Home feeds, written when posts are published (fan-out on write), as Mastodon and Takahē do.

Who gets an entry: the author; accepted followers of the author (unless the post is direct),
minus those who hide the author's boosts (for a boost) or follow only some languages (for a
post in another one); mentioned accounts. Boosts go to the booster's followers. Entries for
the author and for a new follow's backfill are written in the same transaction, so people
see their own posts and a new follow at once; the fan-out to followers runs in the
`post.created` job. Mutes, blocks and suspensions are applied when reading, so they take
effect immediately and are undone just as fast.

Lists are fed by the same fan-out (core/timelines/list_feeds.py): a post goes into the lists
that hold its author, and stays out of the home feed of whoever put the author on an
exclusive list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from bocage.core.instance import domains
from bocage.core.reading.visibility import Visibility
from bocage.core.timelines import list_feeds
from bocage.store.models import (
    Account,
    FeedEntry,
    Follow,
    FollowOption,
    ListMember,
    Mention,
    Post,
    PostTag,
    TagFollow,
)
from bocage.store.prepared import Prepared
from bocage.store.upsert import insert_ignore_many

ADD_ENTRY = Prepared(insert(FeedEntry.__table__), keys=("account_id", "post_id", "author_id"))
BACKFILL = 40  # posts of a newly followed account copied into the follower's feed
# A follow's options (an outer join: only follows whose options differ from the defaults have
# a row).
OPTIONS_OF_FOLLOW = and_(
    FollowOption.follower_id == Follow.follower_id, FollowOption.target_id == Follow.target_id
)
# An author's local followers, with their follow's options when they chose any: most did
# not, and the outer join finds no row for them (options are NULL).
FOLLOWERS = (
    select(
        Follow.follower_id, FollowOption.show_reblogs, FollowOption.notify, FollowOption.languages
    )
    .join(Account, Account.id == Follow.follower_id)
    .outerjoin(FollowOption, OPTIONS_OF_FOLLOW)
    .where(
        Follow.target_id == bindparam("author"),
        Follow.accepted.is_(True),
        Account.domain.is_(None),
    )
)


MENTIONED = select(Mention.account_id).where(Mention.post_id == bindparam("post"))
# Whether anyone here but the author could get an author's new post in a feed: a local
# accepted follower, or a list holding the author. One index probe each, run for every post.
LOCAL_AUDIENCE = Prepared(
    select(
        or_(
            exists().where(
                Follow.target_id == bindparam("author"),
                Follow.accepted.is_(True),
                Account.id == Follow.follower_id,
                Account.domain.is_(None),
            ),
            exists().where(ListMember.account_id == bindparam("author")),
        )
    )
)


# Who follows one of a post's hashtags (Mastodon's `deliver_to_hashtag_followers!`).
TAG_FOLLOWERS = (
    select(TagFollow.account_id)
    .join(PostTag, PostTag.tag == TagFollow.tag)
    .where(PostTag.post_id == bindparam("post"))
    .distinct()
)
ANY_TAG_FOLLOWER = Prepared(
    select(exists().where(PostTag.post_id == bindparam("post"), TagFollow.tag == PostTag.tag))
)
SILENCED_AUTHOR = Prepared(
    select(
        exists().where(
            Account.id == bindparam("author"),
            domains.silenced_account(Account.domain),
        )
    )
)


@dataclass
class FanOut:
    count: int = 0  # feeds written
    subscribers: list[int] = field(default_factory=list)  # followers to notify of the post
    mentioned: list[int] = field(default_factory=list)  # accounts the post mentions


def add_own(session: Session, post: Post) -> None:
    """A new post (or boost) in its author's feed; its id is new, so nothing can conflict."""
    entry = {"account_id": post.account_id, "post_id": post.id, "author_id": post.account_id}
    ADD_ENTRY.execute(session, entry)


def fan_out_needed(session: Session, post: Post, *, mentions: bool) -> bool:
    """Whether the `post.created` job would write anything for a new local post: feed
    entries beyond the author's own (`fan_out`), notifications (`notify_post_created`: of
    mentions, of a reply, to followers who asked) or a conversation (direct posts). A job
    that writes nothing cost ~15% of a post's creation, and a node whose people are
    followed from other servers only (one person's node, say) would queue one per post."""
    if post.visibility == Visibility.DIRECT or mentions:
        return True
    if post.in_reply_to_account_id not in (None, post.account_id):
        return True
    if bool(LOCAL_AUDIENCE.execute(session, {"author": post.account_id}).fetchone()[0]):
        return True
    return _for_tag_followers(post) and bool(
        ANY_TAG_FOLLOWER.execute(session, {"post": post.id}).fetchone()[0]
    )


def fan_out(session: Session, post: Post) -> FanOut:
    """Write `post` into the feeds of everyone who should see it."""
    recipients: set[int] = {post.account_id}
    followers: set[int] = set()
    subscribers: list[int] = []
    if post.visibility != Visibility.DIRECT:
        # Local followers only: remote ones read their own server's feed.
        found = session.connection().execute(FOLLOWERS, {"author": post.account_id})
        for follower_id, show_reblogs, notify, languages in found.all():
            followers.add(follower_id)
            if show_reblogs is None:  # no options: the defaults
                recipients.add(follower_id)
            elif _wanted(post, show_reblogs, languages):
                recipients.add(follower_id)
                if notify and _notable(post):
                    subscribers.append(follower_id)
    mentioned: list[int] = []
    if post.reblog_of_id is None:
        mentioned = list(session.connection().execute(MENTIONED, {"post": post.id}).scalars())
        recipients.update(mentioned)
    # Lists that hold the author get it too; owners of an exclusive one don't, at home.
    recipients -= list_feeds.deliver(session, post, followers)
    # Whoever follows one of its hashtags, whatever lists say (Mastodon's tag fan-out).
    recipients.update(tag_followers(session, post))
    rows = [
        {"account_id": account_id, "post_id": post.id, "author_id": post.account_id}
        for account_id in recipients
    ]
    insert_ignore_many(session, FeedEntry, rows)
    return FanOut(len(rows), subscribers, mentioned)


def tag_followers(session: Session, post: Post) -> list[int]:
    """The local accounts following one of the post's hashtags, when the post goes to them:
    a public post, not a boost, by an author not silenced (Mastodon's `broadcastable?`).
    Blocks and mutes apply when the feed is read, as for every entry."""
    if not _for_tag_followers(post):
        return []
    if SILENCED_AUTHOR.execute(session, {"author": post.account_id}).fetchone()[0]:
        return []
    found = session.connection().execute(TAG_FOLLOWERS, {"post": post.id})
    return [account_id for account_id in found.scalars() if account_id != post.account_id]


def _for_tag_followers(post: Post) -> bool:
    return post.visibility == Visibility.PUBLIC and post.reblog_of_id is None


def _wanted(post: Post, show_reblogs: bool, languages: Sequence[str] | None) -> bool:
    """Whether a follower with these options takes this post (Mastodon's home filters: a
    post without a language, a boost for instance, passes the language filter)."""
    if post.reblog_of_id is not None and not show_reblogs:
        return False
    if languages and post.language:
        return post.language.lower() in {code.lower() for code in languages}
    return True


def _notable(post: Post) -> bool:
    """What a follower asking to be notified hears of: new posts, not boosts, not replies
    to others (a thread the author continues counts), as on Mastodon."""
    if post.reblog_of_id is not None:
        return False
    return post.in_reply_to_account_id in (None, post.account_id)


def backfill(
    session: Session,
    follower_id: int,
    author_id: int,
    *,
    show_reblogs: bool = True,
    languages: Sequence[str] = (),
) -> None:
    """A new follow: the author's latest posts appear in the follower's feed right away,
    as the follow's options would have let them in."""
    query = select(Post.id).where(
        Post.account_id == author_id, Post.visibility != Visibility.DIRECT
    )
    if not show_reblogs:
        query = query.where(Post.reblog_of_id.is_(None))
    if languages:
        query = query.where(or_(Post.language.is_(None), Post.language.in_(languages)))
    latest = session.execute(query.order_by(Post.id.desc()).limit(BACKFILL))
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

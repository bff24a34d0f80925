"""Timelines: home, local, profile, hashtag, thread, bookmarks, favourites.

Queries return post ids newest first (time-sortable ids make this one index scan); `hydrate`
then loads posts, authors, boosted originals and the viewer's own flags in a few batched queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bocage.core.errors import NotFound
from bocage.core.visibility import visible_to
from bocage.store.models import (
    Account,
    Bookmark,
    Favourite,
    Follow,
    Mention,
    Mute,
    Post,
    PostTag,
)

MAX_LIMIT = 40


@dataclass(frozen=True)
class Page:
    max_id: int | None = None  # older than this
    min_id: int | None = None  # newer than this
    limit: int = 20

    def bounded(self) -> Page:
        return Page(self.max_id, self.min_id, max(1, min(self.limit, MAX_LIMIT)))


@dataclass
class PostView:
    """A post as a viewer sees it. For a boost, `reblog` is the boosted post's view."""

    post: Post
    author: Account
    reblog: PostView | None = None
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    mentions: list[Account] = field(default_factory=list)
    children: list[PostView] = field(default_factory=list)  # replies, in thread views

    @property
    def shown(self) -> PostView:
        """The post whose content is displayed (the original, for a boost)."""
        return self.reblog or self


def _paged(query: Select[tuple[int]], page: Page) -> Select[tuple[int]]:
    page = page.bounded()
    if page.max_id is not None:
        query = query.where(Post.id < page.max_id)
    if page.min_id is not None:
        query = query.where(Post.id > page.min_id)
    return query.order_by(Post.id.desc()).limit(page.limit)


def _not_muted(viewer_id: int | None):  # type: ignore[no-untyped-def]
    if viewer_id is None:
        return True
    return ~exists().where(Mute.account_id == viewer_id, Mute.target_id == Post.account_id)


async def home(session: AsyncSession, viewer: Account, page: Page) -> list[PostView]:
    followed = select(Follow.target_id).where(
        Follow.follower_id == viewer.id, Follow.accepted.is_(True)
    )
    mentioned = select(Mention.post_id).where(Mention.account_id == viewer.id)
    query = select(Post.id).where(
        or_(
            and_(
                or_(Post.account_id.in_(followed), Post.account_id == viewer.id),
                Post.visibility != "direct",
            ),
            Post.id.in_(mentioned),
        ),
        visible_to(viewer.id),
        _not_muted(viewer.id),
        _original_visible(viewer.id),
    )
    return await _load(session, viewer, _paged(query, page))


async def local(session: AsyncSession, viewer: Account | None, page: Page) -> list[PostView]:
    viewer_id = viewer.id if viewer else None
    query = (
        select(Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Post.visibility == "public",
            Post.reblog_of_id.is_(None),
            Account.domain.is_(None),
            visible_to(viewer_id),
            _not_muted(viewer_id),
        )
    )
    return await _load(session, viewer, _paged(query, page))


async def profile(
    session: AsyncSession,
    viewer: Account | None,
    account: Account,
    page: Page,
    *,
    with_replies: bool = False,
) -> list[PostView]:
    viewer_id = viewer.id if viewer else None
    query = select(Post.id).where(
        Post.account_id == account.id, visible_to(viewer_id), _original_visible(viewer_id)
    )
    if not with_replies:
        query = query.where(
            or_(Post.in_reply_to_id.is_(None), Post.in_reply_to_account_id == account.id)
        )
    return await _load(session, viewer, _paged(query, page))


async def tag(
    session: AsyncSession, viewer: Account | None, name: str, page: Page
) -> list[PostView]:
    viewer_id = viewer.id if viewer else None
    tagged = select(PostTag.post_id).where(PostTag.tag == name.lower())
    query = select(Post.id).where(
        Post.id.in_(tagged),
        Post.visibility == "public",
        visible_to(viewer_id),
        _not_muted(viewer_id),
    )
    return await _load(session, viewer, _paged(query, page))


async def bookmarks(session: AsyncSession, viewer: Account, page: Page) -> list[PostView]:
    marked = select(Bookmark.post_id).where(Bookmark.account_id == viewer.id)
    query = select(Post.id).where(Post.id.in_(marked), visible_to(viewer.id))
    return await _load(session, viewer, _paged(query, page))


async def favourites(session: AsyncSession, viewer: Account, page: Page) -> list[PostView]:
    liked = select(Favourite.post_id).where(Favourite.account_id == viewer.id)
    query = select(Post.id).where(Post.id.in_(liked), visible_to(viewer.id))
    return await _load(session, viewer, _paged(query, page))


@dataclass
class Thread:
    ancestors: list[PostView]
    focus: PostView
    replies: list[PostView]  # top-level replies to the focus; each has its .children


MAX_THREAD = 500


async def thread(session: AsyncSession, viewer: Account | None, post_id: int) -> Thread:
    viewer_id = viewer.id if viewer else None
    focus_views = await hydrate(session, viewer, await _visible_ids(session, viewer_id, [post_id]))
    if not focus_views or focus_views[0].post.reblog_of_id is not None:
        raise NotFound("That post does not exist, or you are not allowed to see it.")
    focus = focus_views[0]
    ancestors = await _ancestors(session, viewer, focus.post)
    root = focus.post.thread_root_id or focus.post.id
    in_thread = select(Post.id).where(
        or_(Post.thread_root_id == root, Post.id == root),
        Post.id > focus.post.id,
        visible_to(viewer_id),
        _not_muted(viewer_id),
    )
    ids = list((await session.execute(in_thread.order_by(Post.id).limit(MAX_THREAD))).scalars())
    replies = _tree(focus, await hydrate(session, viewer, ids))
    return Thread(ancestors, focus, replies)


async def _ancestors(session: AsyncSession, viewer: Account | None, post: Post) -> list[PostView]:
    chain: list[int] = []
    parent_id = post.in_reply_to_id
    while parent_id is not None and len(chain) < MAX_THREAD:
        row = (
            await session.execute(select(Post.id, Post.in_reply_to_id).where(Post.id == parent_id))
        ).first()
        if row is None:
            break
        chain.append(row[0])
        parent_id = row[1]
    visible = await _visible_ids(session, viewer.id if viewer else None, chain)
    views = await hydrate(session, viewer, visible)
    return sorted(views, key=lambda view: view.post.id)


def _tree(focus: PostView, descendants: list[PostView]) -> list[PostView]:
    by_id = {focus.post.id: focus, **{view.post.id: view for view in descendants}}
    for view in descendants:  # ascending ids: parents come before their replies
        parent = by_id.get(view.post.in_reply_to_id or 0)
        if parent is not None:
            parent.children.append(view)
    return focus.children


async def _visible_ids(session: AsyncSession, viewer_id: int | None, ids: list[int]) -> list[int]:
    if not ids:
        return []
    rows = await session.execute(select(Post.id).where(Post.id.in_(ids), visible_to(viewer_id)))
    return list(rows.scalars())


def _original_visible(viewer_id: int | None):  # type: ignore[no-untyped-def]
    """A boost is shown only if the boosted post is visible to the viewer too."""
    original = aliased(Post, name="original")
    return or_(
        Post.reblog_of_id.is_(None),
        exists().where(original.id == Post.reblog_of_id, visible_to(viewer_id, original)),
    )


async def _load(
    session: AsyncSession, viewer: Account | None, query: Select[tuple[int]]
) -> list[PostView]:
    ids = list((await session.execute(query)).scalars())
    return await hydrate(session, viewer, ids)


async def hydrate(session: AsyncSession, viewer: Account | None, ids: list[int]) -> list[PostView]:
    """PostViews for `ids`, in the same order, with everything a page shows, in ~5 queries."""
    if not ids:
        return []
    posts = {
        p.id: p for p in (await session.execute(select(Post).where(Post.id.in_(ids)))).scalars()
    }
    originals_ids = [p.reblog_of_id for p in posts.values() if p.reblog_of_id]
    if originals_ids:
        rows = await session.execute(select(Post).where(Post.id.in_(originals_ids)))
        posts.update({p.id: p for p in rows.scalars()})
    accounts = await _accounts(session, {p.account_id for p in posts.values()})
    mentions = await _mentions(session, list(posts))
    flags = await _viewer_flags(session, viewer, list(posts))

    def view(post_id: int) -> PostView:
        post = posts[post_id]
        return PostView(
            post=post,
            author=accounts[post.account_id],
            reblog=view(post.reblog_of_id) if post.reblog_of_id in posts else None,
            favourited=post.id in flags["favourited"],
            reblogged=post.id in flags["reblogged"],
            bookmarked=post.id in flags["bookmarked"],
            mentions=[accounts[a] for a in mentions.get(post.id, []) if a in accounts],
        )

    return [view(post_id) for post_id in ids if post_id in posts]


async def _accounts(session: AsyncSession, ids: set[int]) -> dict[int, Account]:
    rows = await session.execute(select(Account).where(Account.id.in_(ids)))
    return {account.id: account for account in rows.scalars()}


async def _mentions(session: AsyncSession, post_ids: list[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(Mention.post_id, Mention.account_id).where(Mention.post_id.in_(post_ids))
    )
    found: dict[int, list[int]] = {}
    for post_id, account_id in rows.all():
        found.setdefault(post_id, []).append(account_id)
    return found


async def _viewer_flags(
    session: AsyncSession, viewer: Account | None, post_ids: list[int]
) -> dict[str, set[int]]:
    flags: dict[str, set[int]] = {"favourited": set(), "reblogged": set(), "bookmarked": set()}
    if viewer is None:
        return flags
    queries = {
        "favourited": select(Favourite.post_id).where(
            Favourite.account_id == viewer.id, Favourite.post_id.in_(post_ids)
        ),
        "reblogged": select(Post.reblog_of_id).where(
            Post.account_id == viewer.id, Post.reblog_of_id.in_(post_ids)
        ),
        "bookmarked": select(Bookmark.post_id).where(
            Bookmark.account_id == viewer.id, Bookmark.post_id.in_(post_ids)
        ),
    }
    for name, query in queries.items():
        flags[name] = set((await session.execute(query)).scalars())
    return flags

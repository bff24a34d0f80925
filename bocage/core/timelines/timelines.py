"""Timelines: home, local, profile, hashtag, thread, bookmarks, favourites.

Queries return post ids newest first (time-sortable ids make this one index scan); `hydrate`
then loads posts, authors, boosted originals and the viewer's own flags in a few batched queries.

What goes on a public or hashtag timeline is said once, by `PublicTimeline.rules`: the paged
timelines query with it, and the live streams ask `PublicTimeline.readers` (the same rules,
with the stream's readers in the viewer's place), so a post is streamed live exactly where
a page would show it.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, exists, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.cards.cards import CardView
from bocage.core.cards.cards import of_posts as cards_of_posts
from bocage.core.instance import domains
from bocage.core.media import media
from bocage.core.polls import polls
from bocage.core.reading import page_rows
from bocage.core.reading.page_rows import ACCOUNTS, IDS, PageRow
from bocage.core.reading.visibility import (
    Visibility,
    no_block_between,
    no_domain_block,
    visible_to,
)
from bocage.core.timelines import pins
from bocage.kernel.errors import NotFound
from bocage.store.models import (
    Account,
    Bookmark,
    Favourite,
    FeedEntry,
    Follow,
    MediaFile,
    Mention,
    Mute,
    Post,
    PostTag,
    Quote,
    ThreadMute,
)
from bocage.store.prepared import Prepared

MAX_LIMIT = 40
NEWEST, OLDEST = 2**63 - 1, 0  # bounds of a page without max_id / min_id

# The statements a timeline page runs every time are built once with bind parameters:
# building a statement costs SQLAlchemy ~0.1–0.2 ms, more than SQLite takes to run it.


POSTS = Post.__table__
BOOSTS, BOOSTED = POSTS.alias("muted_boost"), POSTS.alias("muted_original")


def boost_of_muted(post_id: Any, viewer: Any) -> ColumnElement[bool]:
    """SQL: the post `post_id` is a boost of a post by someone `viewer` mutes. Mastodon's
    rule: muting someone hides their posts, their boosts, and others' boosts of their posts
    (home, lists, profiles, streams). Three primary-key probes, for the rows a page reads."""
    return exists().where(
        BOOSTS.c.id == post_id,
        BOOSTED.c.id == BOOSTS.c.reblog_of_id,
        Mute.account_id == viewer,
        Mute.target_id == BOOSTED.c.account_id,
    )


HIDDEN_BOOSTS, HIDDEN_ORIGINALS = POSTS.alias("hidden_boost"), POSTS.alias("hidden_original")


def boost_from_hidden_server(post_id: Any, viewer: Any) -> ColumnElement[bool]:
    """SQL: the post `post_id` is a boost of a post from a server `viewer` hid (their own
    domain block, as Mastodon's FeedManager filters reblogs)."""
    return exists().where(
        HIDDEN_BOOSTS.c.id == post_id,
        HIDDEN_ORIGINALS.c.id == HIDDEN_BOOSTS.c.reblog_of_id,
        ~no_domain_block(viewer, HIDDEN_ORIGINALS.c.account_id),
    )


def feed_slice(entry: Any, owner: Any) -> Select[int]:
    """A page of a feed written on fan-out (home_feed, list_feed: `entry`, whose `owner`
    column is bound to `owner`), newest first, without the posts of suspended authors, of
    accounts the viewer (`viewer`) mutes or is blocked with either way (a post that mentions
    the viewer is in their feed whoever wrote it), nor boosts of muted accounts' posts.
    Mutes, blocks and suspensions act at read time."""
    viewer: BindParameter[int] = bindparam("viewer")
    return (
        select(entry.post_id)
        .where(
            owner == bindparam("owner"),
            entry.post_id < bindparam("max_id"),
            entry.post_id > bindparam("min_id"),
            # Correlated NOT EXISTS, not a join: evaluated only for the rows the page reads
            # (a join made SQLite build a Bloom filter over every account: 4 ms vs 0.07 ms).
            ~exists().where(Account.id == entry.author_id, Account.suspended),
            ~exists().where(Mute.account_id == viewer, Mute.target_id == entry.author_id),
            no_block_between(viewer, entry.author_id),
            ~boost_of_muted(entry.post_id, viewer),
            # The viewer's domain blocks: posts from there (mentions of the viewer reach
            # the feed whoever wrote them), and boosts of posts from there.
            no_domain_block(viewer, entry.author_id),
            ~boost_from_hidden_server(entry.post_id, viewer),
        )
        .order_by(entry.post_id.desc())
        .limit(bindparam("limit"))
    )


HOME_FEED = feed_slice(FeedEntry, FeedEntry.account_id)
# The home page is the busiest: the stamps of its feed slice come in a single query, run on
# the driver's cursor (SQLAlchemy's ORM result handling took a third of the page's time).
HOME_STAMPS = page_rows.feed_stamps(HOME_FEED)


@dataclass(frozen=True)
class Page:
    max_id: int | None = None  # older than this
    min_id: int | None = None  # newer than this
    limit: int = 20

    def bounded(self) -> Page:
        return Page(self.max_id, self.min_id, max(1, min(self.limit, MAX_LIMIT)))


@dataclass
class QuotedView:
    """What a quoting post shows of the post it quotes (core/quotes owns the states): its
    view only when the quote is accepted and the viewer may see it."""

    state: str
    view: PostView | None = None


@dataclass
class PostView:
    """A post as a viewer sees it. For a boost, `reblog` is the boosted post's view."""

    post: Any  # a PostRow (read-only; same attribute names as models.Post)
    author: Any  # an AuthorRow: a row of `accounts` without its keys
    reblog: PostView | None = None
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    muted: bool = False  # the viewer muted its thread
    mentions: list[Any] = field(default_factory=list)  # MentionRow: id, username, domain, uri
    media: list[MediaFile] = field(default_factory=list)  # attachments, in order
    poll: polls.PollView | None = None
    children: list[PostView] = field(default_factory=list)  # replies, in thread views
    quote: QuotedView | None = None  # what it quotes (a page's web views; None: nothing)
    card: CardView | None = None  # its link preview card, once read (core/cards)

    @property
    def shown(self) -> PostView:
        """The post whose content is displayed (the original, for a boost)."""
        return self.reblog or self


def _paged(query: Select[int], page: Page) -> Select[int]:
    page = page.bounded()
    if page.max_id is not None:
        query = query.where(Post.id < page.max_id)
    if page.min_id is not None:
        query = query.where(Post.id > page.min_id)
    return query.order_by(Post.id.desc()).limit(page.limit)


def not_muted(viewer_id: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """SQL on `Post`: its author is not muted by the viewer (anyone, for nobody). The viewer:
    an account id, None, or a column (see `PublicTimeline.readers`)."""
    if viewer_id is None:
        return true()
    return ~exists().where(Mute.account_id == viewer_id, Mute.target_id == Post.account_id)


def _not_silenced(viewer_id: Any) -> ColumnElement[bool]:
    """Accounts on servers the admin silenced stay off the public and hashtag timelines,
    except for a viewer who follows them (Mastodon's limited accounts)."""
    author = aliased(Account)
    silenced = or_(
        exists().where(author.id == Post.account_id, domains.silenced_account(author.domain)),
        domains.silenced_person(Post.account_id),
    )
    if viewer_id is None:
        return ~silenced
    return or_(~silenced, _follows(viewer_id, Post.account_id))


def _follows(viewer_id: Any, author_id: Any) -> ColumnElement[bool]:
    return exists().where(
        Follow.follower_id == viewer_id, Follow.target_id == author_id, Follow.accepted
    )


def home(session: Session, viewer: Account, page: Page) -> list[PostView]:
    """The viewer's home feed (see core/timelines/feeds.py), newest first.

    Mutes, blocks and suspensions are applied here, at read time, so they act at once.
    """
    page = page.bounded()
    bounds = {
        "owner": viewer.id,
        "viewer": viewer.id,
        "max_id": NEWEST if page.max_id is None else page.max_id,
        "min_id": OLDEST if page.min_id is None else page.min_id,
        "limit": page.limit,
    }
    return feed_page(session, viewer, HOME_STAMPS, bounds)


def feed_page(
    session: Session, viewer: Account, stamps: Prepared, params: dict[str, Any]
) -> list[PostView]:
    """A page of a feed written on fan-out (home_feed, list_feed): `stamps` are
    page_rows.feed_stamps of the feed's slice, run with `params`; newest first."""
    rows = page_rows.of_stamps(session, stamps.rows(session, params))
    ids = sorted(rows, reverse=True)
    return _without_hidden_boosts(session, viewer, _views(session, viewer, ids, rows))


def _without_hidden_boosts(
    session: Session, viewer: Account, views: list[PostView]
) -> list[PostView]:
    """Drop boosts of posts the viewer may not see (e.g. their author blocks the viewer)."""
    originals = [view.reblog.post.id for view in views if view.reblog]
    if not originals:
        return views
    visible = set(
        session.execute(
            select(Post.id).where(Post.id.in_(originals), visible_to(viewer.id))
        ).scalars()
    )
    return [view for view in views if not view.reblog or view.reblog.post.id in visible]


def local(session: Session, viewer: Account | None, page: Page) -> list[PostView]:
    """This node's public posts (the web's "Local" page)."""
    return public(session, viewer, page, where="local")


@dataclass(frozen=True)
class PublicTimeline:
    """One of the timelines everyone's public posts go on, as Mastodon's: the public one
    (`tag` None) or a hashtag's; of all servers' posts, this node's (`where` "local") or
    other servers' ("remote"); or only those with attachments (`only_media`)."""

    where: str = "all"
    only_media: bool = False
    tag: str | None = None  # lowercase, without the #
    # A hashtag timeline's `any[]`, `all[]` and `none[]` (Mastodon's TagFeed): posts with
    # the tag or any of `any_of`, with every one of `all_of`, with none of `none_of`.
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def rules(self, viewer: Any) -> list[ColumnElement[bool]]:
        """SQL on `Post`: it is on this timeline as `viewer` sees it. `viewer`: an account
        id, None (nobody logged in), or a column of account ids (`readers`).

        Public posts only, no boosts, none the viewer may not see (suspended authors,
        blocks either way) nor by someone they mute, nothing from silenced servers but for
        the viewer who follows its author; the public timeline also leaves out replies to
        others (a thread its author continues stays), a hashtag's keeps them."""
        # Cheapest first (SQLite checks them in this order): the post's own columns, its
        # author's server, then the probes of the viewer's blocks and mutes.
        found = [Post.visibility == Visibility.PUBLIC, Post.reblog_of_id.is_(None)]
        if self.tag is None:
            found.append(
                or_(Post.in_reply_to_id.is_(None), Post.in_reply_to_account_id == Post.account_id)
            )
        else:
            found.append(Post.id.in_(_tagged(self.tag, *self.any_of)))
            found += [Post.id.in_(_tagged(tag)) for tag in self.all_of]
            if self.none_of:
                found.append(Post.id.not_in(_tagged(*self.none_of)))
        if self.only_media:
            found.append(Post.media_count > 0)
        author = aliased(Account, name="author")
        if self.where == "local":
            found.append(exists().where(author.id == Post.account_id, author.domain.is_(None)))
        elif self.where == "remote":
            on_remote = exists().where(author.id == Post.account_id, author.domain.is_not(None))
            found.append(on_remote)
        found += [visible_to(viewer), not_muted(viewer)]
        if viewer is not None and self.where != "local":
            found.append(no_domain_block(viewer, Post.account_id))
        if self.where != "local":  # this node's own people are never silenced
            found.append(_not_silenced(viewer))
        return found

    def page(self, session: Session, viewer: Account | None, page: Page) -> list[PostView]:
        """A page of this timeline, newest first."""
        query = select(Post.id).where(*self.rules(viewer.id if viewer else None))
        return _load(session, viewer, _paged(query, page))

    def readers(self, session: Session, post_id: int, candidates: list[int]) -> list[int]:
        """Which of `candidates` (account ids) this timeline shows `post_id` to: the live
        streams ask this of every post, with the same rules as a page."""
        if not candidates:
            return []
        reader = aliased(Account, name="reader")
        shown = exists(select(Post.id).where(Post.id == post_id, *self.rules(reader.id)))
        found = session.execute(select(reader.id).where(reader.id.in_(candidates), shown))
        return list(found.scalars())


def _tagged(*tags: str) -> Select[int]:
    if len(tags) == 1:
        return select(PostTag.post_id).where(PostTag.tag == tags[0])
    return select(PostTag.post_id).where(PostTag.tag.in_(tags))


TAGS_PER_MODE = 4  # names of `any[]`, `all[]` or `none[]` taken, as Mastodon takes


@dataclass(frozen=True)
class TagFilter:
    """What a hashtag timeline asks beyond its tag (Mastodon's `any[]`, `all[]`, `none[]`):
    names with or without `#`, any case; the first `TAGS_PER_MODE` of each taken."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def normalized(self) -> TagFilter:
        def names(given: tuple[str, ...]) -> tuple[str, ...]:
            found = (name.strip().removeprefix("#").lower() for name in given)
            return tuple(dict.fromkeys(name for name in found if name))[:TAGS_PER_MODE]

        return TagFilter(names(self.any_of), names(self.all_of), names(self.none_of))


def public(
    session: Session,
    viewer: Account | None,
    page: Page,
    *,
    where: str = "all",
    only_media: bool = False,
) -> list[PostView]:
    """Public posts this node holds, as Mastodon's public timelines (`PublicTimeline`).
    `where`: "all", "local" or "remote"."""
    return PublicTimeline(where, only_media).page(session, viewer, page)


def profile(
    session: Session,
    viewer: Account | None,
    account: Account,
    page: Page,
    *,
    with_replies: bool = False,
    with_boosts: bool = True,
    only_media: bool = False,
    only_pinned: bool = False,
    tagged: str | None = None,
) -> list[PostView]:
    """An account's posts and boosts, newest first. Replies to others only `with_replies`
    (a thread the author continues always counts); the other switches narrow it further,
    as Mastodon's profile filters do."""
    viewer_id = viewer.id if viewer else None
    query = select(Post.id).where(
        Post.account_id == account.id, visible_to(viewer_id), original_visible(viewer_id)
    )
    if not with_replies:
        query = query.where(
            or_(Post.in_reply_to_id.is_(None), Post.in_reply_to_account_id == account.id)
        )
    if not with_boosts or only_media or only_pinned or tagged:
        query = query.where(Post.reblog_of_id.is_(None))  # none of these is ever a boost
    if only_media:
        query = query.where(Post.media_count > 0)
    if only_pinned:
        query = query.where(Post.pinned_at.is_not(None))
    if tagged:
        with_tag = select(PostTag.post_id).where(PostTag.tag == tagged.lower().removeprefix("#"))
        query = query.where(Post.id.in_(with_tag))
    return _load(session, viewer, _paged(query, page))


def pinned(session: Session, viewer: Account | None, account: Account) -> list[PostView]:
    """The account's pinned posts that `viewer` may see, shown above its other posts."""
    ids = pins.pinned_ids(session, account.id)
    visible = set(_visible_ids(session, viewer.id if viewer else None, ids))
    return hydrate(session, viewer, [post_id for post_id in ids if post_id in visible])


def tag(
    session: Session,
    viewer: Account | None,
    name: str,
    page: Page,
    *,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
    tags: TagFilter = TagFilter(),
) -> list[PostView]:
    """A hashtag's public posts (`PublicTimeline`): this node's only if `local`, other
    servers' only if `remote` (both: all, as Mastodon), narrowed by `tags`."""
    where = "local" if local and not remote else "remote" if remote and not local else "all"
    wanted = tags.normalized()
    timeline = PublicTimeline(
        where,
        only_media,
        name.lower().removeprefix("#"),
        wanted.any_of,
        wanted.all_of,
        wanted.none_of,
    )
    return timeline.page(session, viewer, page)


def several(session: Session, viewer: Account | None, ids: list[int]) -> list[PostView]:
    """The posts `ids` the viewer may see, in the order asked (`GET /api/v1/statuses`,
    Mastodon's `permitted_statuses_from_ids`): each left out when the viewer may not see it
    (or, for a boost, its original), mutes its author, or its author is on a silenced
    server and not followed by the viewer; the viewer's own always stay."""
    if not ids:
        return []
    viewer_id = viewer.id if viewer else None
    rules = [visible_to(viewer_id), original_visible(viewer_id)]
    others = and_(not_muted(viewer_id), _not_silenced(viewer_id))
    rules.append(or_(Post.account_id == viewer_id, others))
    allowed = set(session.execute(select(Post.id).where(Post.id.in_(ids), *rules)).scalars())
    return hydrate(session, viewer, [post_id for post_id in ids if post_id in allowed])


def bookmarks(session: Session, viewer: Account, page: Page) -> list[PostView]:
    marked = select(Bookmark.post_id).where(Bookmark.account_id == viewer.id)
    query = select(Post.id).where(Post.id.in_(marked), visible_to(viewer.id))
    return _load(session, viewer, _paged(query, page))


def favourites(session: Session, viewer: Account, page: Page) -> list[PostView]:
    liked = select(Favourite.post_id).where(Favourite.account_id == viewer.id)
    query = select(Post.id).where(Post.id.in_(liked), visible_to(viewer.id))
    return _load(session, viewer, _paged(query, page))


@dataclass
class Thread:
    ancestors: list[PostView]
    focus: PostView
    replies: list[PostView]  # top-level replies to the focus; each has its .children


MAX_THREAD = 500


def thread(session: Session, viewer: Account | None, post_id: int) -> Thread:
    viewer_id = viewer.id if viewer else None
    focus_views = hydrate(session, viewer, _visible_ids(session, viewer_id, [post_id]))
    if not focus_views or focus_views[0].post.reblog_of_id is not None:
        raise NotFound("That post does not exist, or you are not allowed to see it.")
    focus = focus_views[0]
    ancestors = _ancestors(session, viewer, focus.post)
    root = focus.post.thread_root_id or focus.post.id
    in_thread = select(Post.id).where(
        or_(Post.thread_root_id == root, Post.id == root),
        Post.id > focus.post.id,
        visible_to(viewer_id),
        not_muted(viewer_id),
        _not_from_hidden_servers(viewer_id),
    )
    ids = list((session.execute(in_thread.order_by(Post.id).limit(MAX_THREAD))).scalars())
    replies = _tree(focus, hydrate(session, viewer, ids))
    return Thread(ancestors, focus, replies)


def _ancestors(session: Session, viewer: Account | None, post: Post) -> list[PostView]:
    chain: list[int] = []
    parent_id = post.in_reply_to_id
    while parent_id is not None and len(chain) < MAX_THREAD:
        row = (
            session.execute(select(Post.id, Post.in_reply_to_id).where(Post.id == parent_id))
        ).first()
        if row is None:
            break
        chain.append(row[0])
        parent_id = row[1]
    visible = _visible_ids(session, viewer.id if viewer else None, chain, in_context=True)
    views = hydrate(session, viewer, visible)
    return sorted(views, key=lambda view: view.post.id)


def _tree(focus: PostView, descendants: list[PostView]) -> list[PostView]:
    by_id = {focus.post.id: focus, **{view.post.id: view for view in descendants}}
    for view in descendants:  # ascending ids: parents come before their replies
        parent = by_id.get(view.post.in_reply_to_id or 0)
        if parent is not None:
            parent.children.append(view)
    return focus.children


def _visible_ids(
    session: Session, viewer_id: int | None, ids: list[int], *, in_context: bool = False
) -> list[int]:
    """Those of `ids` the viewer may see; `in_context` (a thread around a post): not from a
    server the viewer hid either (Mastodon's StatusFilter leaves them out of contexts)."""
    if not ids:
        return []
    shown = [Post.id.in_(ids), visible_to(viewer_id)]
    if in_context:
        shown.append(_not_from_hidden_servers(viewer_id))
    rows = session.execute(select(Post.id).where(*shown))
    return list(rows.scalars())


def _not_from_hidden_servers(viewer_id: int | None) -> ColumnElement[bool]:
    """SQL on `Post`: not by an account of a server the viewer hid (anyone, for nobody)."""
    return true() if viewer_id is None else no_domain_block(viewer_id, Post.account_id)


def original_visible(viewer_id: int | None) -> ColumnElement[bool]:
    """A boost is shown only if the boosted post is visible to the viewer too, and its
    author not muted by the viewer."""
    original = aliased(Post, name="original")
    shown = visible_to(viewer_id, original)
    if viewer_id is not None:
        shown = and_(
            shown,
            ~exists().where(Mute.account_id == viewer_id, Mute.target_id == original.account_id),
        )
    return or_(Post.reblog_of_id.is_(None), exists().where(original.id == Post.reblog_of_id, shown))


def _load(session: Session, viewer: Account | None, query: Select[int]) -> list[PostView]:
    ids = list((session.execute(query)).scalars())
    return hydrate(session, viewer, ids)


def hydrate(session: Session, viewer: Account | None, ids: list[int]) -> list[PostView]:
    """PostViews for `ids`, in the same order, with what a page shows: one query, two when
    the page has boosts (their originals), more when it has quotes (the quoted posts, one
    level deep)."""
    if not ids:
        return []
    return _views(session, viewer, ids, _page_rows(session, viewer, ids))


def _views(
    session: Session,
    viewer: Account | None,
    ids: list[int],
    rows: dict[int, PageRow],
    *,
    nested: bool = False,
) -> list[PostView]:
    originals = {row.post.reblog_of_id for row in rows.values() if row.post.reblog_of_id}
    if originals - rows.keys():
        rows.update(_page_rows(session, viewer, list(originals - rows.keys())))

    with_media = [post_id for post_id, row in rows.items() if row.post.media_count]
    attached = media.of_posts(session, with_media)  # no query at all for a page without
    with_polls = [row.post.poll_id for row in rows.values() if row.post.poll_id]
    found_polls = polls.of_polls(session, with_polls, viewer.id if viewer else None)  # same
    with_quotes = [row.post.quote_id for row in rows.values() if row.post.quote_id]
    quotes = {} if nested else _quoted(session, viewer, with_quotes)  # same
    with_cards = [post_id for post_id, row in rows.items() if row.post.card_id]
    found_cards = cards_of_posts(session, with_cards)  # same

    loaded = _Loaded(rows, attached, found_polls, quotes, found_cards)
    return [loaded.view(post_id) for post_id in ids if post_id in rows]


def _quoted(
    session: Session, viewer: Account | None, quote_ids: list[int]
) -> dict[int, QuotedView]:
    """What each quoting post of a page shows of the post it quotes, by quoting post id."""
    if not quote_ids:
        return {}
    found = session.execute(
        select(Quote.post_id, Quote.quoted_post_id, Quote.state).where(Quote.id.in_(quote_ids))
    ).all()
    wanted = [quoted for _post, quoted, state in found if quoted and state == "accepted"]
    visible = _visible_ids(session, viewer.id if viewer else None, wanted) if wanted else []
    views = (
        {}
        if not visible
        else {
            view.post.id: view
            for view in _views(
                session, viewer, visible, _page_rows(session, viewer, visible), nested=True
            )
        }
    )
    return {
        post_id: QuotedView(state, views.get(quoted) if quoted is not None else None)
        for post_id, quoted, state in found
    }


@dataclass(slots=True)
class _Loaded:
    """A page's rows, attachments and polls, made into PostViews. (A method, not a nested
    recursive function: such a closure refers to itself, and every page it built waited
    for the cycle collector, whose passes then took up to 200 ms.)"""

    rows: dict[int, PageRow]
    attached: dict[int, list[MediaFile]]
    polls: dict[int, Any]
    quotes: dict[int, QuotedView]
    cards: dict[int, CardView]

    def view(self, post_id: int) -> PostView:
        row = self.rows[post_id]
        original = row.post.reblog_of_id
        return PostView(
            post=row.post,
            author=row.author,
            reblog=self.view(original) if original in self.rows else None,
            favourited=row.favourited,
            reblogged=row.reblogged,
            bookmarked=row.bookmarked,
            muted=row.muted,
            media=self.attached.get(post_id, []),
            poll=self.polls.get(row.post.poll_id) if row.post.poll_id else None,
            quote=self.quotes.get(post_id) if row.post.quote_id else None,
            card=self.cards.get(post_id) if row.post.card_id else None,
        )


MENTIONED = Prepared(
    select(Mention.post_id, ACCOUNTS.c.id, ACCOUNTS.c.username, ACCOUNTS.c.domain, ACCOUNTS.c.uri)
    .join_from(Mention.__table__, ACCOUNTS, ACCOUNTS.c.id == Mention.account_id)
    .where(Mention.post_id.in_(IDS))
)
# Who a shown post mentions (what a Status's `mentions` shows of them).
MentionRow = namedtuple("MentionRow", "post_id id username domain uri")


def with_mentions(session: Session, views: list[PostView]) -> list[PostView]:
    """Fill in `mentions` (who each shown post addresses: id, username, domain, uri)."""
    shown = {view.shown.post.id: view.shown for view in views}
    if shown:
        for row in map(MentionRow._make, MENTIONED.rows(session, {"ids": list(shown)})):
            shown[row.post_id].mentions.append(row)
    return views


def _page_rows(session: Session, viewer: Account | None, ids: list[int]) -> dict[int, PageRow]:
    return page_rows.by_ids(session, viewer.id if viewer else None, ids)


# --- live readers (streaming) -----------------------------------------------------------


def home_readers(session: Session, post_id: int, candidates: list[int]) -> list[int]:
    """Which of `candidates` have `post_id` in their home feed as `home` would show it now
    (mutes, blocks, suspensions and boosts of posts they may not see applied the same way)."""
    if not candidates:
        return []
    rows = session.execute(
        select(FeedEntry.account_id, Post.reblog_of_id)
        .join(Post, Post.id == FeedEntry.post_id)
        .where(
            FeedEntry.post_id == post_id,
            FeedEntry.account_id.in_(candidates),
            ~exists().where(Account.id == FeedEntry.author_id, Account.suspended),
            ~exists().where(
                Mute.account_id == FeedEntry.account_id, Mute.target_id == FeedEntry.author_id
            ),
            no_block_between(FeedEntry.account_id, FeedEntry.author_id),
            ~boost_of_muted(FeedEntry.post_id, FeedEntry.account_id),
            no_domain_block(FeedEntry.account_id, FeedEntry.author_id),
            ~boost_from_hidden_server(FeedEntry.post_id, FeedEntry.account_id),
        )
    ).all()
    return [
        reader
        for reader, original in rows
        if original is None or _visible_ids(session, reader, [original])
    ]


def list_readers(session: Session, post: Any, candidates: list[int]) -> list[int]:
    """Which of `candidates` (owners of lists that took `post`) their list timeline shows it
    to (`feed_page`, as `home_readers` for home feeds): not muting its author nor, for a
    boost, the boosted post's author; not blocked with its author either way; a boosted
    post they may see."""
    if not candidates:
        return []
    original = session.get(Post, post.reblog_of_id) if post.reblog_of_id is not None else None
    authors = [post.account_id] + ([original.account_id] if original is not None else [])
    reader = Account.id
    allowed = set(
        session.execute(
            select(reader).where(
                reader.in_(candidates),
                ~exists().where(Mute.account_id == reader, Mute.target_id.in_(authors)),
                no_block_between(reader, post.account_id),
                *(no_domain_block(reader, author) for author in authors),
            )
        ).scalars()
    )
    if original is not None:
        allowed = {r for r in allowed if _visible_ids(session, r, [original.id])}
    return [viewer_id for viewer_id in candidates if viewer_id in allowed]


def as_readers_see_it(session: Session, post_id: int, readers: list[int]) -> dict[int, PostView]:
    """The post (or boost) as each reader sees it, with their own favourited, reblogged,
    bookmarked and muted flags: one query for the post, one per kind of flag, however many
    readers (a post streamed to a thousand people is loaded once)."""
    found = hydrate(session, None, [post_id])
    if not found or not readers:
        return {}
    base = found[0]
    shown = [view for view in (base, base.reblog) if view is not None]
    ids = [view.post.id for view in shown]
    threads = [thread_of(view.post) for view in shown]
    flags = _ReaderFlags(
        favourited=_pairs(session, Favourite.account_id, Favourite.post_id, ids, readers),
        bookmarked=_pairs(session, Bookmark.account_id, Bookmark.post_id, ids, readers),
        boosted=_pairs(session, Post.account_id, Post.reblog_of_id, ids, readers),
        muting=_pairs(session, ThreadMute.account_id, ThreadMute.thread_id, threads, readers),
    )
    return {reader: flags.seen_by(base, reader) for reader in readers}


@dataclass(frozen=True, slots=True)
class _ReaderFlags:
    """(reader, post id) pairs for each flag; (reader, thread id) for muted threads."""

    favourited: set[tuple[int, int]]
    bookmarked: set[tuple[int, int]]
    boosted: set[tuple[int, int]]
    muting: set[tuple[int, int]]

    def seen_by(self, view: PostView, reader: int) -> PostView:
        post = view.post.id
        return replace(
            view,
            reblog=self.seen_by(view.reblog, reader) if view.reblog is not None else None,
            favourited=(reader, post) in self.favourited,
            reblogged=(reader, post) in self.boosted,
            bookmarked=(reader, post) in self.bookmarked,
            muted=(reader, thread_of(view.post)) in self.muting,
        )


def _pairs(
    session: Session, who: Any, what: Any, values: list[int], readers: list[int]
) -> set[tuple[int, int]]:
    rows = session.execute(select(who, what).where(what.in_(values), who.in_(readers)))
    return {(reader, value) for reader, value in rows.all()}


def thread_of(post: Any) -> int:
    """The id a thread is known by: its root post's (a post without a parent is a root)."""
    return int(post.thread_root_id or post.id)

"""Posts: publish (now or later), edit, delete, and what a person does to a post (like, boost,
bookmark, pin, mute its thread, vote in its poll); and reading one post, its thread, its
history and who liked or boosted it.

A post that @mentions remote accounts has them looked up here, before its unit of work,
whichever face wrote it: the core links and addresses only accounts it knows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.auth import oauth
from bocage.core.messaging import conversations
from bocage.core.notifications import notifications
from bocage.core.polls import polls
from bocage.core.polls.polls import PollView
from bocage.core.posts import posts, scheduled
from bocage.core.posts.posts import EditExtras, PostDraft
from bocage.core.quotes import quotes
from bocage.core.reading.visibility import Visibility
from bocage.core.timelines import feeds, pins, timelines
from bocage.core.timelines.timelines import Page, PostView, Thread
from bocage.kernel import events
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.ports import Lookups
from bocage.services.unit import JobPayload, Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, MediaFile, Post, PostEdit, ScheduledStatus

PostAction = Callable[[Session, Context, Account, int], object]
ScheduledView = tuple[ScheduledStatus, list[MediaFile]]


@dataclass(frozen=True)
class Retry:
    """An `Idempotency-Key` sent with a post: a retry of a request whose answer was lost
    gets the post the first one made, not a second post."""

    token_id: int
    key: str


@dataclass(frozen=True)
class PostSource:
    id: int
    text: str
    spoiler_text: str


class PostService(Service):
    def __init__(self, db: Database, ctx: Context, lookups: Lookups) -> None:
        super().__init__(db, ctx)
        self._lookups = lookups

    async def _learn_mentions(self, text: str) -> None:
        if "@" in text:
            await self._lookups.learn_mentions(text)

    # --- writing ----------------------------------------------------------------------

    async def publish(self, author: Account, draft: PostDraft, retry: Retry | None = None) -> int:
        """The new post's id (or, for a retry, the id of the post the first try made)."""
        await self._learn_mentions(draft.text)
        return await self._db.write(_publish, self._ctx, author, draft, retry)

    async def schedule(
        self,
        author: Account,
        draft: PostDraft,
        at: datetime,
        extras: scheduled.Extras,
        retry: Retry | None = None,
    ) -> int:
        """The scheduled status's id (a retry's: the first try's)."""
        await self._learn_mentions(draft.text)
        return await self._db.write(_schedule, self._ctx, author, draft, at, extras, retry)

    async def edit(
        self, author: Account, post_id: int, draft: PostDraft, extras: EditExtras = EditExtras()
    ) -> Post:
        """The author's own post, edited: its text, and what `extras` asks of its
        attachments and poll."""
        await self._learn_mentions(draft.text)
        return await self._db.write(_edit, self._ctx, author.id, post_id, draft, extras)

    async def delete(self, author: Account, post_id: int, *, as_admin: bool = False) -> None:
        await self._db.write(_delete, self._ctx, author.id, post_id, as_admin)

    async def favourite(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(posts.favourite, actor, post_id, seen_first)

    async def unfavourite(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(posts.unfavourite, actor, post_id, seen_first)

    async def boost(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        """The boost's id (the boost wraps the original)."""
        return await self._act(posts.boost, actor, post_id, seen_first)

    async def unboost(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(posts.unboost, actor, post_id, seen_first)

    async def bookmark(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(_bookmark, actor, post_id, seen_first)

    async def unbookmark(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(_unbookmark, actor, post_id, seen_first)

    async def pin(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(pins.pin, actor, post_id, seen_first)

    async def unpin(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(pins.unpin, actor, post_id, seen_first)

    async def mute_thread(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(conversations.mute_thread, actor, post_id, seen_first)

    async def unmute_thread(self, actor: Account, post_id: int, *, seen_first: bool = False) -> int:
        return await self._act(conversations.unmute_thread, actor, post_id, seen_first)

    async def _act(self, action: PostAction, actor: Account, post_id: int, seen_first: bool) -> int:
        """`seen_first`: a post the actor cannot see is `NotFound` ("Record not found")
        before anything is done, even to undo (Mastodon's API answers so); the id of the
        post to show after."""
        return await self._db.write(_act, self._ctx, action, actor.id, post_id, seen_first)

    async def vote(self, voter: Account, poll_id: int, choices: Sequence[int]) -> None:
        await self._db.write(_vote, voter.id, poll_id, choices)

    async def vote_on_post(self, voter: Account, post_id: int, choices: Sequence[int]) -> None:
        """A vote in the poll of a post (or of the post a boost wraps) the voter can see."""
        await self._db.write(_vote_on_post, voter.id, post_id, choices)

    # --- reading ----------------------------------------------------------------------

    def seen(self, viewer: Account | None, post_id: int) -> Query[list[PostView]]:
        """The post as `viewer` sees it (one view); `NotFound` if they may not."""

        def load(session: Session) -> list[PostView]:
            post = posts.get_visible(session, viewer.id if viewer else None, post_id)
            return timelines.hydrate(session, viewer, [post.id])

        return self._query(load)

    def several(self, viewer: Account | None, ids: list[int]) -> Query[list[PostView]]:
        """The posts of `ids` the viewer may see, in that order; the others left out."""
        return self._query(lambda session: timelines.several(session, viewer, ids))

    def just_written(self, author: Account, post_id: int) -> Query[list[PostView]]:
        """A post as its author sees it just after writing it (nothing to check)."""
        return self._query(lambda session: timelines.hydrate(session, author, [post_id]))

    def with_history(
        self, viewer: Account | None, post_id: int
    ) -> Query[tuple[list[PostView], list[PostEdit]]]:
        """The post as `viewer` sees it (`NotFound` if they may not), and its earlier
        versions, oldest first."""

        def load(session: Session) -> tuple[list[PostView], list[PostEdit]]:
            viewer_id = viewer.id if viewer else None
            post = posts.get_visible(session, viewer_id, post_id)
            found = timelines.hydrate(session, viewer, [post.id])
            return found, posts.history(session, viewer_id, post.id)

        return self._query(load)

    def visible(self, viewer: Account | None, post_id: int) -> Query[Post]:
        return self._query(
            lambda session: posts.get_visible(session, viewer.id if viewer else None, post_id)
        )

    def with_author(self, viewer: Account | None, post_id: int) -> Query[tuple[Post, Account]]:
        return self._query(lambda session: _visible_with_author(session, viewer, post_id))

    def history(self, viewer: Account | None, post_id: int) -> Query[list[PostEdit]]:
        """Earlier versions, oldest first."""
        return self._query(
            lambda session: posts.history(session, viewer.id if viewer else None, post_id)
        )

    def history_with_author(
        self, viewer: Account | None, post_id: int
    ) -> Query[tuple[Post, Account, list[PostEdit]]]:
        def load(session: Session) -> tuple[Post, Account, list[PostEdit]]:
            post, author = _visible_with_author(session, viewer, post_id)
            return post, author, posts.history(session, viewer.id if viewer else None, post.id)

        return self._query(load)

    def source(self, owner: Account, post_id: int) -> Query[PostSource]:
        """The text as its author wrote it (to edit it); `NotFound` if it is not theirs."""

        def load(session: Session) -> PostSource:
            post = session.get(Post, post_id)
            if post is None or post.account_id != owner.id:
                raise NotFound("Record not found")
            return PostSource(post.id, post.source, post.spoiler_text)

        return self._query(load)

    def thread(self, viewer: Account | None, post_id: int) -> Query[Thread]:
        return self._query(lambda session: timelines.thread(session, viewer, post_id))

    def thread_by(self, viewer: Account | None, username: str, post_id: int) -> Query[Thread]:
        """A thread whose focus is by the account `username` (a web address names both)."""

        def load(session: Session) -> Thread:
            author = accounts.by_name(session, self._ctx.settings.domain, username)
            found = timelines.thread(session, viewer, post_id)
            if found.focus.author.id != author.id:
                raise NotFound("That post does not exist, or you are not allowed to see it.")
            return found

        return self._query(load)

    def reply_to(self, viewer: Account, post_id: int) -> Query[PostView]:
        """The post a reply is being written to, with its mentions (to address them too)."""

        def load(session: Session) -> PostView:
            focus = timelines.thread(session, viewer, post_id).focus
            return timelines.with_mentions(session, [focus])[0]

        return self._query(load)

    def likers(self, viewer: Account | None, post_id: int) -> Query[list[Account]]:
        return self._query(
            lambda session: posts.likers(session, viewer.id if viewer else None, post_id)
        )

    def boosters(self, viewer: Account | None, post_id: int) -> Query[list[Account]]:
        return self._query(
            lambda session: posts.boosters(session, viewer.id if viewer else None, post_id)
        )

    def poll(self, viewer: Account | None, poll_id: int) -> Query[PollView]:
        return self._query(
            lambda session: polls.get_visible(session, viewer.id if viewer else None, poll_id)
        )

    # --- scheduled ----------------------------------------------------------------------

    def scheduled_page(self, owner: Account, page: Page) -> Query[list[ScheduledView]]:
        return self._query(
            lambda session: _with_uploads(session, scheduled.page(session, owner, page))
        )

    def scheduled_one(self, owner: Account, scheduled_id: int) -> Query[ScheduledView]:
        return self._query(
            lambda session: _with_uploads(session, [scheduled.own(session, owner, scheduled_id)])[0]
        )

    async def reschedule(
        self, owner: Account, scheduled_id: int, at: datetime | None
    ) -> ScheduledView:
        """Only the time changes (None: nothing asked, nothing changed)."""
        return await self._db.write(_reschedule, owner, scheduled_id, at)

    async def cancel_scheduled(self, owner: Account, scheduled_id: int) -> None:
        await self._db.write(scheduled.cancel, owner, scheduled_id)

    # --- jobs (units the worker runs: services/__init__.py, point 6) ---------------------

    def fan_out(self, session: Session, payload: JobPayload) -> None:
        """`post.created`: a new post or boost into followers' home feeds, then
        notifications (a follower who asked to hear of the author's posts is found by the
        fan-out's own query), a direct message into its conversation."""
        post = posts.row_of(session, payload["post_id"])
        if post is None:
            return  # deleted meanwhile
        fanned = feeds.fan_out(session, post)
        notifications.notify_post_created(session, post, fanned.subscribers, fanned.mentioned)
        if post.visibility == Visibility.DIRECT and post.reblog_of_id is None:
            conversations.add_post(session, post)
        events.emit(session, "post.published", post_id=post.id)

    def tell_edited(self, session: Session, payload: JobPayload) -> None:
        """`post.updated`: an edited post's boosters are told, those whose quotes show it
        too (`quoted_update`), and so are streaming clients."""
        if session.get(Post, payload["post_id"]) is None:
            return
        notifications.handle_post_updated(session, payload)
        quotes.handle_quoted_update(session, payload["post_id"])
        events.emit(session, "post.updated", post_id=payload["post_id"])

    def publish_scheduled(self, session: Session, payload: JobPayload) -> None:
        """`scheduled.publish`: a scheduled post, published at its time."""
        scheduled.publish_due(session, self._ctx, payload)

    def close_poll(self, session: Session, payload: JobPayload) -> None:
        """`poll.close`: a poll at its end."""
        polls.handle_close(session, payload)

    def count_poll(self, session: Session, payload: JobPayload) -> None:
        """`poll.update`: a local poll's counts, a few minutes after the votes."""
        polls.handle_update(session, payload)


def _publish(
    session: Session, ctx: Context, author: Account, draft: PostDraft, retry: Retry | None
) -> int:
    known = oauth.remembered_post(session, retry.token_id, retry.key) if retry else None
    if known is not None:
        return known
    # The author's account as the caller found it (a token's kept grant, a web session),
    # without reading it again: ~0.5 ms of the writer's time a post.
    writer = session.merge(author, load=False)
    post_id = posts.publish(session, ctx, writer, draft).id
    if retry:
        oauth.remember_post(session, retry.token_id, retry.key, post_id)
    return post_id


def _schedule(
    session: Session,
    ctx: Context,
    author: Account,
    draft: PostDraft,
    at: datetime,
    extras: scheduled.Extras,
    retry: Retry | None,
) -> int:
    # As Mastodon: a key that made a post, or one already published, is not found as a
    # scheduled status.
    known = oauth.remembered_post(session, retry.token_id, retry.key) if retry else None
    if known is not None:
        return known
    writer = session.get(Account, author.id)
    assert writer is not None
    row = scheduled.schedule(session, ctx, writer, draft, at, extras)
    if retry:
        oauth.remember_post(session, retry.token_id, retry.key, row.id)
    return row.id


def _own_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account


def _edit(
    session: Session,
    ctx: Context,
    author_id: int,
    post_id: int,
    draft: PostDraft,
    extras: EditExtras,
) -> Post:
    return posts.edit(session, ctx, _own_account(session, author_id), post_id, draft, extras)


def _delete(session: Session, ctx: Context, author_id: int, post_id: int, as_admin: bool) -> None:
    posts.delete_post(session, ctx, _own_account(session, author_id), post_id, as_admin=as_admin)


def _act(
    session: Session,
    ctx: Context,
    action: PostAction,
    actor_id: int,
    post_id: int,
    seen_first: bool,
) -> int:
    me = _own_account(session, actor_id)
    if seen_first:
        try:
            posts.get_visible(session, me.id, post_id)
        except NotFound:
            raise NotFound("Record not found") from None
    result = action(session, ctx, me, post_id)
    return result.id if isinstance(result, Post) else post_id


def _bookmark(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    posts.bookmark(session, account, post_id)


def _unbookmark(session: Session, _ctx: Context, account: Account, post_id: int) -> None:
    posts.unbookmark(session, account, post_id)


def _vote(session: Session, voter_id: int, poll_id: int, choices: Sequence[int]) -> None:
    polls.vote(session, _own_account(session, voter_id), poll_id, choices)


def _vote_on_post(session: Session, voter_id: int, post_id: int, choices: Sequence[int]) -> None:
    post = posts.get_visible(session, voter_id, post_id)
    shown = session.get(Post, post.reblog_of_id) if post.reblog_of_id else post
    voter = session.get(Account, voter_id)
    if shown is None or shown.poll_id is None or voter is None:
        raise NotFound("That post has no poll.")
    polls.vote(session, voter, shown.poll_id, choices)


def _visible_with_author(
    session: Session, viewer: Account | None, post_id: int
) -> tuple[Post, Account]:
    post = posts.get_visible(session, viewer.id if viewer else None, post_id)
    author = session.get(Account, post.account_id)
    assert author is not None
    return post, author


def _with_uploads(session: Session, rows: list[ScheduledStatus]) -> list[ScheduledView]:
    uploads = scheduled.attachments(session, rows)
    return [(row, uploads[row.id]) for row in rows]


def _reschedule(
    session: Session, owner: Account, scheduled_id: int, at: datetime | None
) -> ScheduledView:
    if at is None:
        row = scheduled.own(session, owner, scheduled_id)
    else:
        row = scheduled.reschedule(session, owner, scheduled_id, at)
    return _with_uploads(session, [row])[0]

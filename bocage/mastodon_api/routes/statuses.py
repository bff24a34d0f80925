"""Statuses: post (now, or later with `scheduled_at`), read, delete, mute their thread (and the
replies thread, `context`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.auth import oauth
from bocage.core.messaging import conversations
from bocage.core.polls import polls
from bocage.core.posts import posts, scheduled
from bocage.core.reading.visibility import DEFAULT, Visibility
from bocage.core.timelines import pins, timelines
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import bool_param, id_param, json, node_of, params, text_param
from bocage.mastodon_api.routes import scheduled_statuses
from bocage.store.models import Account, Post


def _visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidInput(
            f"Validation failed: Visibility is not one of {', '.join(Visibility)}"
        ) from None


async def create(request: Request) -> Response:
    grant, caller = await require_user(request, "write:statuses")
    values = await params(request)
    visibility = _visibility(text_param(values, "visibility", DEFAULT) or DEFAULT)
    given = values.get("media_ids") or []
    media_ids = tuple(
        id_param(value, "media_ids") or 0
        for value in (given if isinstance(given, list) else [given])
    )
    draft = posts.PostDraft(
        text=text_param(values, "status"),
        spoiler_text=text_param(values, "spoiler_text"),
        visibility=visibility,
        in_reply_to_id=id_param(values.get("in_reply_to_id"), "in_reply_to_id"),
        language=text_param(values, "language") or None,
        media_ids=media_ids,
        poll=_poll(values),
    )
    given_at = text_param(values, "scheduled_at").strip()
    at = scheduled.requested_time(given_at) if given_at else None
    node = node_of(request)
    if "@" in draft.text:
        await node.federation.resolver.learn_mentions(draft.text)

    key = request.headers.get("idempotency-key", "").strip()
    if at is not None:
        # `sensitive` stays null when not given, as in Mastodon's params.
        given_sensitive = values.get("sensitive") not in (None, "")
        extras = scheduled.Extras(
            sensitive=bool_param(values, "sensitive") if given_sensitive else None,
            application_id=grant.app.id,
        )
        return await _schedule(request, grant, caller, draft, at, extras, key)

    def publish(session: Session, ctx: Context) -> int:
        # A retry of a request whose answer was lost: the post it made, not a second one.
        known = oauth.remembered_post(session, grant.token.id, key) if key else None
        if known is not None:
            return known
        # The caller's account as the token found it (kept grants are dropped when it moves
        # or is suspended), without reading it again: ~0.5 ms of the writer's time a post.
        author = session.merge(caller, load=False)
        post_id = posts.publish(session, ctx, author, draft).id
        if key:
            oauth.remember_post(session, grant.token.id, key, post_id)
        return post_id

    post_id = await node.db.write(publish, node.ctx)
    return json(await node.db.read(_own, node.ctx, caller, post_id))


def _own(session: Session, ctx: Context, author: Account, post_id: int) -> Any:
    """A post as its author sees it, just after making it (nothing to check: it is theirs)."""
    return views.statuses(
        session, ctx, timelines.hydrate(session, author, [post_id]), author, "thread"
    )[0]


async def _schedule(
    request: Request,
    grant: oauth.Grant,
    caller: Account,
    draft: posts.PostDraft,
    at: datetime,
    extras: scheduled.Extras,
    key: str,
) -> Response:
    """`scheduled_at` given: a ScheduledStatus is answered instead of a Status."""
    node = node_of(request)

    def schedule(session: Session, ctx: Context) -> int:
        # A retry whose answer was lost: the scheduled status it made (as Mastodon, a key
        # that made a post, or one already published, is not found as a scheduled status).
        known = oauth.remembered_post(session, grant.token.id, key) if key else None
        if known is not None:
            return known
        author = session.get(Account, caller.id)
        assert author is not None
        row = scheduled.schedule(session, ctx, author, draft, at, extras)
        if key:
            oauth.remember_post(session, grant.token.id, key, row.id)
        return row.id

    scheduled_id = await node.db.write(schedule, node.ctx)
    return json(await node.db.read(scheduled_statuses.one, node.ctx, caller, scheduled_id))


def _poll(values: dict[str, Any]) -> polls.PollDraft | None:
    """`poll[options][]=…&poll[expires_in]=…` (forms) or `{"poll": {"options": […], …}}`."""
    given = values.get("poll")
    if given is not None and not isinstance(given, dict):
        raise InvalidInput("Validation failed: poll must be an object with options and expires_in")
    fields = given if given is not None else {
        key[5:-1]: value for key, value in values.items()
        if key.startswith("poll[") and key.endswith("]")
    }  # fmt: skip
    if not fields:
        return None
    options = fields.get("options") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise InvalidInput("Validation failed: poll[options] must be a list of texts")
    expires_in = fields.get("expires_in")
    if expires_in is None or expires_in == "":
        raise InvalidInput("Validation failed: Poll expires at can't be blank")
    try:
        seconds = int(float(expires_in)) if not isinstance(expires_in, bool) else None
    except (TypeError, ValueError, OverflowError):
        seconds = None
    if seconds is None:
        raise InvalidInput("Validation failed: poll[expires_in] must be a number of seconds")
    return polls.PollDraft(
        tuple(options),
        seconds,
        multiple=bool_param(fields, "multiple"),
        hide_totals=bool_param(fields, "hide_totals"),
    )


def _one(session: Session, ctx: Context, viewer: Account | None, post_id: int | None) -> Any:
    try:
        post = posts.get_visible(session, viewer.id if viewer else None, post_id or 0)
    except NotFound:
        raise NotFound("Record not found") from None
    found = timelines.hydrate(session, viewer, [post.id])
    return views.statuses(session, ctx, found, viewer, "thread", keep_hidden=True)[0]


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    node = node_of(request)
    post_id = request.path_params["id"]
    viewer = grant.account if grant else None
    return json(await node.db.read(_one, node.ctx, viewer, post_id))


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    node = node_of(request)
    post_id = request.path_params["id"]
    shown = await node.db.read(_one, node.ctx, caller, post_id)
    if shown["account"]["id"] != str(caller.id):
        raise NotFound("Record not found")  # Mastodon does not say whose it is

    def remove(session: Session, ctx: Context) -> None:
        author = session.get(Account, caller.id)
        assert author is not None
        posts.delete_post(session, ctx, author, post_id or 0)

    await node.db.write(remove, node.ctx)
    return json({**shown, "text": shown.get("text") or ""})


async def edit(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    values = await params(request)
    node = node_of(request)
    post_id = request.path_params["id"]
    draft = posts.PostDraft(
        text=text_param(values, "status"),
        spoiler_text=text_param(values, "spoiler_text"),
        language=text_param(values, "language") or None,
    )
    if "@" in draft.text:
        await node.federation.resolver.learn_mentions(draft.text)

    def apply(session: Session, ctx: Context) -> None:
        me = session.get(Account, caller.id)
        assert me is not None
        try:
            posts.edit(session, ctx, me, post_id, draft)
        except NotFound:
            raise NotFound("Record not found") from None

    await node.db.write(apply, node.ctx)
    return json(await node.db.read(_one, node.ctx, caller, post_id))


async def history(request: Request) -> Response:
    """StatusEdit entities, oldest first, ending with the current version (as Mastodon)."""
    grant = await grant_of(request)
    node = node_of(request)
    post_id = request.path_params["id"]
    viewer = grant.account if grant else None

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        current = _one(session, ctx, viewer, post_id)
        older = posts.history(session, viewer.id if viewer else None, post_id)
        author = current["account"]
        return [
            *(
                _version(v.content, v.spoiler_text, entities.timestamp(v.created_at), author)
                for v in older
            ),
            _version(
                current["content"],
                current["spoiler_text"],
                current["edited_at"] or current["created_at"],
                author,
            ),
        ]

    return json(await node.db.read(load, node.ctx))


def _version(content: str, spoiler: str, created_at: str, author: Any) -> dict[str, Any]:
    return {
        "content": content,
        "spoiler_text": spoiler,
        "sensitive": bool(spoiler),
        "created_at": created_at,
        "account": author,
        "poll": None,
        "media_attachments": [],
        "emojis": [],
    }


async def source(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    node = node_of(request)
    post_id = request.path_params["id"]

    def load(session: Session) -> dict[str, Any]:
        post = session.get(Post, post_id)
        if post is None or post.account_id != caller.id:
            raise NotFound("Record not found")
        return {"id": str(post.id), "text": post.source, "spoiler_text": post.spoiler_text}

    return json(await node.db.read(load))


PostAction = Callable[[Session, Context, Account, int], object]


def _action(action: PostAction, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """POST /api/v1/statuses/:id/<verb>: apply it, answer the Status as the caller now sees
    it (for a reblog, Mastodon answers the boost wrapping the original)."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        node = node_of(request)
        post_id = request.path_params["id"]

        def apply(session: Session, ctx: Context) -> int:
            me = session.get(Account, caller.id)
            assert me is not None
            try:
                posts.get_visible(session, me.id, post_id)
            except NotFound:
                raise NotFound("Record not found") from None
            result = action(session, ctx, me, post_id)
            return result.id if isinstance(result, Post) else post_id

        shown_id = await node.db.write(apply, node.ctx)
        return json(await node.db.read(_one, node.ctx, caller, shown_id))

    return endpoint


def _bookmark(session: Session, _ctx: Context, me: Account, post_id: int) -> None:
    posts.bookmark(session, me, post_id)


def _unbookmark(session: Session, _ctx: Context, me: Account, post_id: int) -> None:
    posts.unbookmark(session, me, post_id)


async def context(request: Request) -> Response:
    grant = await grant_of(request)
    node = node_of(request)
    post_id = request.path_params["id"]
    viewer = grant.account if grant else None

    def load(session: Session, ctx: Context) -> dict[str, Any]:
        try:
            thread = timelines.thread(session, viewer, post_id)
        except NotFound:
            raise NotFound("Record not found") from None
        return {
            "ancestors": views.statuses(session, ctx, thread.ancestors, viewer, "thread"),
            "descendants": views.statuses(session, ctx, _flatten(thread.replies), viewer, "thread"),
        }

    return json(await node.db.read(load, node.ctx))


def _flatten(replies: list[timelines.PostView]) -> list[timelines.PostView]:
    """Depth first, as Mastodon orders `descendants`."""
    flat: list[timelines.PostView] = []
    for reply in replies:
        flat.append(reply)
        flat.extend(_flatten(reply.children))
    return flat


def _who(which: str) -> Callable[[Request], Awaitable[Response]]:
    """favourited_by / reblogged_by: the accounts, as Account entities."""

    async def endpoint(request: Request) -> Response:
        grant = await grant_of(request)
        node = node_of(request)
        post_id = request.path_params["id"]
        viewer_id = grant.account.id if grant and grant.account else None

        def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
            try:
                people = getattr(posts, which)(session, viewer_id, post_id)
            except NotFound:
                raise NotFound("Record not found") from None
            return [entities.account(ctx, person) for person in people]

        return json(await node.db.read(load, node.ctx))

    return endpoint


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id:id}/favourited_by", _who("likers"), methods=["GET"]),
    Route("/api/v1/statuses/{id:id}/reblogged_by", _who("boosters"), methods=["GET"]),
    Route("/api/v1/statuses/{id:id}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id:id}", delete, methods=["DELETE"]),
    Route("/api/v1/statuses/{id:id}", edit, methods=["PUT"]),
    Route("/api/v1/statuses/{id:id}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id:id}/source", source, methods=["GET"]),
    Route("/api/v1/statuses/{id:id}/context", context, methods=["GET"]),
    Route(
        "/api/v1/statuses/{id:id}/favourite",
        _action(posts.favourite, "write:favourites"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unfavourite",
        _action(posts.unfavourite, "write:favourites"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/reblog", _action(posts.boost, "write:statuses"), methods=["POST"]
    ),
    Route(
        "/api/v1/statuses/{id:id}/unreblog",
        _action(posts.unboost, "write:statuses"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/bookmark", _action(_bookmark, "write:bookmarks"), methods=["POST"]
    ),
    Route(
        "/api/v1/statuses/{id:id}/unbookmark",
        _action(_unbookmark, "write:bookmarks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/mute",
        _action(conversations.mute_thread, "write:mutes"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unmute",
        _action(conversations.unmute_thread, "write:mutes"),
        methods=["POST"],
    ),
    Route("/api/v1/statuses/{id:id}/pin", _action(pins.pin, "write:accounts"), methods=["POST"]),
    Route(
        "/api/v1/statuses/{id:id}/unpin", _action(pins.unpin, "write:accounts"), methods=["POST"]
    ),
]

"""Statuses: post (now, or later with `scheduled_at`), read, delete, mute their thread (and the
replies thread, `context`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.media import media
from bocage.core.polls import polls
from bocage.core.posts import posts, scheduled
from bocage.core.quotes.policy import Choice
from bocage.core.reading.visibility import DEFAULT, Visibility
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import PostView
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, optional, require_user
from bocage.mastodon_api.http import (
    bool_param,
    id_list,
    id_param,
    json,
    params,
    services_of,
    text_param,
)
from bocage.mastodon_api.routes import scheduled_statuses
from bocage.services import Services
from bocage.services.posts import PostService, Retry
from bocage.services.reader import Reader
from bocage.store.models import Account, PostEdit


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
    # What the app does not send, the author's posting defaults give (`source` of their
    # credentials), as Mastodon's PostStatusService.
    defaults = await services_of(request).accounts.posting_defaults(caller)
    visibility = _visibility(text_param(values, "visibility") or defaults.privacy or DEFAULT)
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
        language=text_param(values, "language") or defaults.language,
        media_ids=media_ids,
        poll=_poll(values),
        sensitive=bool_param(values, "sensitive", bool(defaults.sensitive)),
        quoted_post_id=id_param(values.get("quoted_status_id"), "quoted_status_id"),
        quote_policy=_quote_policy(values),
    )
    given_at = text_param(values, "scheduled_at").strip()
    at = scheduled.requested_time(given_at) if given_at else None
    services = services_of(request)
    key = request.headers.get("idempotency-key", "").strip()
    # A retry of a request whose answer was lost: the post it made, not a second one.
    retry = Retry(grant.token.id, key) if key else None
    if at is not None:
        # `scheduled_at` given: a ScheduledStatus is answered instead of a Status.
        # `sensitive` stays null when not given, as in Mastodon's params.
        given_sensitive = values.get("sensitive") not in (None, "")
        extras = scheduled.Extras(
            sensitive=bool_param(values, "sensitive") if given_sensitive else None,
            application_id=grant.app.id,
        )
        scheduled_id = await services.posts.schedule(caller, draft, at, extras, retry)
        shown = await services.posts.scheduled_one(caller, scheduled_id)
        return json(scheduled_statuses.entity(services.ctx, shown))
    post_id = await services.posts.publish(caller, draft, retry)
    # As its author sees it, just after making it (nothing to check: it is theirs).
    own = views.one_of(services.ctx, caller, keep_hidden=False)
    return json(await services.posts.just_written(caller, post_id).present(own))


def _quote_policy(values: dict[str, Any]) -> Choice | None:
    """`quote_approval_policy` (Mastodon 4.5): public, followers or nobody; absent or empty,
    the author's default."""
    given = text_param(values, "quote_approval_policy").strip()
    return Choice.parse(given) if given else None


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


async def _one(services: Services, viewer: Account | None, post_id: int) -> dict[str, Any]:
    """The Status as `viewer` sees it ("Record not found" if they may not)."""
    try:
        return await services.posts.seen(viewer, post_id).present(
            views.one_of(services.ctx, viewer)
        )
    except NotFound:
        raise NotFound("Record not found") from None


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    return json(await _one(services_of(request), viewer, request.path_params["id"]))


MAX_IDS = 20  # statuses asked for at once (Mastodon's DEFAULT_STATUSES_LIMIT)


async def index(request: Request) -> Response:
    """Several statuses at once (`id[]`, Mastodon 4.3): those the caller may see, in the
    order asked; an unknown or hidden one is left out, not an error."""
    grant = await optional(request, "read:statuses")
    ids = id_list(await params(request), "id")
    if len(ids) > MAX_IDS:
        raise InvalidInput(f"Validation failed: at most {MAX_IDS} statuses can be asked for")
    services = services_of(request)
    viewer = grant.account if grant else None
    page = views.page_of(services.ctx, viewer, "public", keep_hidden=True)
    return json(list(await services.posts.several(viewer, ids).present(page)))


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    services = services_of(request)
    post_id = request.path_params["id"]
    shown = await _one(services, caller, post_id)
    if shown["account"]["id"] != str(caller.id):
        raise NotFound("Record not found")  # Mastodon does not say whose it is
    # As Mastodon (`source_requested`): the source text, for an app's delete-and-redraft.
    written = await services.posts.source(caller, post_id)
    await services.posts.delete(caller, post_id)
    return json({**shown, "text": written.text, "spoiler_text": written.spoiler_text})


async def edit(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    values = await params(request)
    services = services_of(request)
    post_id = request.path_params["id"]
    draft = posts.PostDraft(
        text=text_param(values, "status"),
        spoiler_text=text_param(values, "spoiler_text"),
        language=text_param(values, "language") or None,
    )
    given = values.get("media_ids")
    media_ids = None
    if given is not None:  # absent: the attachments stay (Bocage's choice, see the docs)
        media_ids = tuple(
            id_param(value, "media_ids") or 0
            for value in (given if isinstance(given, list) else [given])
            if value != ""
        )
    extras = posts.EditExtras(
        media_ids,
        _media_changes(values),
        _poll(values),
        quoted_post_id=id_param(values.get("quoted_status_id"), "quoted_status_id"),
        quote_policy=_quote_policy(values),
    )
    try:
        await services.posts.edit(caller, post_id, draft, extras)
    except NotFound:
        raise NotFound("Record not found") from None
    return json(await _one(services, caller, post_id))


def _media_changes(values: dict[str, Any]) -> tuple[media.MediaChange, ...]:
    """`media_attributes[][id]=…&media_attributes[][description]=…` (forms) or
    `{"media_attributes": [{"id": …, "description": …, "focus": "x,y"}]}`. A `thumbnail`
    is not kept: this node makes no thumbnails of videos or audio yet (none is shown)."""
    given = values.get("media_attributes") or []
    if isinstance(given, dict):  # `media_attributes[0][id]=…`: Rails reads an indexed hash
        given = list(given.values())
    if not isinstance(given, list) or not all(isinstance(item, dict) for item in given):
        raise InvalidInput("Validation failed: media_attributes must be a list of objects")
    changes = []
    for item in given:
        media_id = id_param(item.get("id"), "media_attributes[][id]")
        if media_id is None:
            raise InvalidInput("Validation failed: media_attributes[][id] can't be blank")
        description, focus = item.get("description"), item.get("focus")
        changes.append(
            media.MediaChange(
                media_id,
                None if description is None else text_param(item, "description"),
                None if focus is None else text_param(item, "focus"),
            )
        )
    return tuple(changes)


async def history(request: Request) -> Response:
    """StatusEdit entities, oldest first, ending with the current version (as Mastodon)."""
    grant = await grant_of(request)
    services = services_of(request)
    viewer = grant.account if grant else None
    shown = views.one_of(services.ctx, viewer)

    def present(reader: Reader, found: tuple[list[PostView], list[PostEdit]]) -> Any:
        current, older = shown(reader, found[0]), found[1]
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

    try:
        versions = await services.posts.with_history(viewer, request.path_params["id"]).present(
            present
        )
    except NotFound:
        raise NotFound("Record not found") from None
    return json(versions)


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
    found = await services_of(request).posts.source(caller, request.path_params["id"])
    return json({"id": str(found.id), "text": found.text, "spoiler_text": found.spoiler_text})


PostAction = Callable[[PostService], Callable[..., Awaitable[int]]]


def _action(action: PostAction, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """POST /api/v1/statuses/:id/<verb>: apply it to a post the caller can see, answer the
    Status as the caller now sees it (for a reblog, Mastodon answers the boost wrapping the
    original)."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        services = services_of(request)
        shown_id = await action(services.posts)(caller, request.path_params["id"], seen_first=True)
        return json(await _one(services, caller, shown_id))

    return endpoint


async def context(request: Request) -> Response:
    grant = await grant_of(request)
    services = services_of(request)
    viewer = grant.account if grant else None
    page = views.page_of(services.ctx, viewer, "thread")

    def present(reader: Reader, thread: timelines.Thread) -> dict[str, Any]:
        return {
            "ancestors": page(reader, thread.ancestors),
            "descendants": page(reader, _flatten(thread.replies)),
        }

    try:
        found = await services.posts.thread(viewer, request.path_params["id"]).present(present)
    except NotFound:
        raise NotFound("Record not found") from None
    return json(found)


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
        services = services_of(request)
        viewer = grant.account if grant and grant.account else None
        post_id = request.path_params["id"]
        lister = services.posts.likers if which == "likers" else services.posts.boosters
        try:
            people = await lister(viewer, post_id)
        except NotFound:
            raise NotFound("Record not found") from None
        return json([entities.account(services.ctx, person) for person in people])

    return endpoint


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses", index, methods=["GET"]),
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
        _action(lambda p: p.favourite, "write:favourites"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unfavourite",
        _action(lambda p: p.unfavourite, "write:favourites"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/reblog",
        _action(lambda p: p.boost, "write:statuses"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unreblog",
        _action(lambda p: p.unboost, "write:statuses"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/bookmark",
        _action(lambda p: p.bookmark, "write:bookmarks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unbookmark",
        _action(lambda p: p.unbookmark, "write:bookmarks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/mute",
        _action(lambda p: p.mute_thread, "write:mutes"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unmute",
        _action(lambda p: p.unmute_thread, "write:mutes"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/pin",
        _action(lambda p: p.pin, "write:accounts"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/statuses/{id:id}/unpin",
        _action(lambda p: p.unpin, "write:accounts"),
        methods=["POST"],
    ),
]

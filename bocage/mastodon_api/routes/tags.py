"""Hashtags: one tag (`GET /api/v1/tags/:name`, a Tag with its week of use and, for a
logged-in caller, `following` and `featuring`), following and unfollowing it (its public
posts then come into the caller's home feed and stream), featuring it on the caller's
profile (Mastodon 4.4; the same featured tags as `/api/v1/featured_tags`), and the tags the
caller follows (`GET /api/v1/followed_tags`, paged by `Link` headers). A name that no
post's #hashtag could be is a 404, as on Mastodon."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.graph import tag_follows
from bocage.kernel.context import Context
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import (
    count_param,
    id_param,
    json,
    link_header,
    services_of,
    validation,
)
from bocage.services.tags import TagService, TagView

FOLLOWED_DEFAULT = 100  # Mastodon's TAGS_LIMIT; at most twice that


def tag_entity(ctx: Context, view: TagView) -> dict[str, Any]:
    """A Tag; `following` and `featuring` only for a logged-in caller, as Mastodon."""
    entity = entities.tag(ctx, view.name, view.history)
    if view.following is not None:
        entity["following"] = view.following
    if view.featuring is not None:
        entity["featuring"] = view.featuring
    return entity


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    services = services_of(request)
    viewer = grant.account if grant else None
    found = await services.tags.tag(viewer, request.path_params["name"])
    return json(tag_entity(services.ctx, found))


TagAction = Callable[[TagService], Callable[..., Awaitable[TagView]]]


def _action(action: TagAction, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """POST /api/v1/tags/:name/<verb>: the Tag as the caller now relates to it."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        services = services_of(request)
        with validation():
            found = await action(services.tags)(caller, request.path_params["name"])
        return json(tag_entity(services.ctx, found))

    return endpoint


async def followed(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", tag_follows.MAX_LIMIT) or FOLLOWED_DEFAULT
    max_id = id_param(query.get("max_id"), "max_id")
    min_id = id_param(query.get("min_id") or query.get("since_id"), "min_id")
    services = services_of(request)
    found = await services.tags.followed(caller, limit, max_id, min_id)
    ids = [view.follow_id for view in found if view.follow_id is not None]
    return json(
        [tag_entity(services.ctx, view) for view in found], headers=link_header(request, ids)
    )


routes = [
    Route("/api/v1/followed_tags", followed, methods=["GET"]),
    Route("/api/v1/tags/{name}", show, methods=["GET"]),
    Route(
        "/api/v1/tags/{name}/follow",
        _action(lambda t: t.follow, "write:follows"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/tags/{name}/unfollow",
        _action(lambda t: t.unfollow, "write:follows"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/tags/{name}/feature",
        _action(lambda t: t.feature, "write:accounts"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/tags/{name}/unfeature",
        _action(lambda t: t.unfeature, "write:accounts"),
        methods=["POST"],
    ),
]

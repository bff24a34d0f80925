"""Timelines: home (the caller's feed), public (local, remote or both), hashtags, and the
caller's bookmarks and favourites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.timelines.timelines import Page, PostView, TagFilter
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import grant_of, optional, require_user
from bocage.mastodon_api.http import bool_param, json, link_header, page_of, params, services_of
from bocage.services import Query
from bocage.services.timelines import TimelineService, Where
from bocage.store.models import Account


async def _answer(
    request: Request, found: Query[list[PostView]], viewer: Account | None, context: str
) -> Response:
    answer = await found.present(views.page_of(services_of(request).ctx, viewer, context))
    return json(answer, headers=link_header(request, views.page_ids(answer)))


async def home(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    # The caller's account as the token found it: the page needs its id only.
    found = services_of(request).timelines.home(caller, page_of(request))
    return await _answer(request, found, caller, "home")


async def public(request: Request) -> Response:
    """Public posts: this node's (`local=true`), other servers' (`remote=true`), or both."""
    grant = await grant_of(request)
    query = request.query_params
    where: Where = (
        "local"
        if bool_param(query, "local")
        else "remote"
        if bool_param(query, "remote")
        else "all"
    )
    viewer = grant.account if grant else None
    found = services_of(request).timelines.public(
        viewer, page_of(request), where=where, only_media=bool_param(query, "only_media")
    )
    return await _answer(request, found, viewer, "public")


OwnList = Callable[[TimelineService], Callable[[Account, Page], Query[list[PostView]]]]


def _own_list(which: OwnList, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """The caller's bookmarks or favourites, newest first."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        found = which(services_of(request).timelines)(caller, page_of(request))
        # Mastodon's own client filters these two lists as it filters home.
        return await _answer(request, found, caller, "home")

    return endpoint


async def tag(request: Request) -> Response:
    """A hashtag's public posts: this node's only with `local=true` (the `hashtag:local`
    stream's timeline), other servers' only with `remote=true`, with attachments only with
    `only_media=true`; also with any of `any[]`, with all of `all[]`, with none of
    `none[]` (up to 4 names each), as Mastodon's TagFeed."""
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    values = await params(request)
    found = services_of(request).timelines.tag(
        viewer,
        request.path_params["hashtag"],
        page_of(request),
        local=bool_param(values, "local"),
        remote=bool_param(values, "remote"),
        only_media=bool_param(values, "only_media"),
        tags=TagFilter(_names(values, "any"), _names(values, "all"), _names(values, "none")),
    )
    return await _answer(request, found, viewer, "public")


def _names(values: dict[str, Any], name: str) -> tuple[str, ...]:
    """`any[]=a&any[]=b`, `any=a` or `{"any": ["a", "b"]}`: the names given."""
    given = values.get(name) or []
    given = given if isinstance(given, list) else [given]
    return tuple(str(value) for value in given if isinstance(value, str | int))


async def link(request: Request) -> Response:
    """The public posts sharing a trending link (Mastodon 4.3), newest first: `url` is the
    link as `/api/v1/trends/links` gives it (or as a post wrote it); a URL that is not among
    the trending links is a 404, as Mastodon answers."""
    grant = await optional(request, "read:statuses")
    viewer = grant.account if grant else None
    url = request.query_params.get("url", "").strip()
    if not url:
        raise NotFound("Record not found")
    found = services_of(request).cards.link_timeline(viewer, url, page_of(request))
    return await _answer(request, found, viewer, "public")


routes = [
    Route("/api/v1/timelines/link", link, methods=["GET"]),
    Route("/api/v1/timelines/home", home, methods=["GET"]),
    Route("/api/v1/timelines/public", public, methods=["GET"]),
    Route("/api/v1/timelines/tag/{hashtag}", tag, methods=["GET"]),
    Route(
        "/api/v1/bookmarks",
        _own_list(lambda t: t.bookmarks, "read:bookmarks"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/favourites",
        _own_list(lambda t: t.favourites, "read:favourites"),
        methods=["GET"],
    ),
]

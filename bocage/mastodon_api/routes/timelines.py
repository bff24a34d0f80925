"""Timelines: home (the caller's feed), public (local, remote or both), hashtags, and the
caller's bookmarks and favourites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.timelines import timelines
from bocage.kernel.context import Context
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import bool_param, json, link_header, node_of, page_of
from bocage.store.models import Account


async def home(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    node, page = node_of(request), page_of(request)

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        # The caller's account as the token found it: the page needs its id only.
        return views.statuses(session, ctx, timelines.home(session, caller, page), caller, "home")

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, views.page_ids(answer)))


async def public(request: Request) -> Response:
    """Public posts: this node's (`local=true`), other servers' (`remote=true`), or both."""
    grant = await grant_of(request)
    node, page = node_of(request), page_of(request)
    query = request.query_params
    where = (
        "local"
        if bool_param(query, "local")
        else "remote"
        if bool_param(query, "remote")
        else "all"
    )
    only_media = bool_param(query, "only_media")
    viewer = grant.account if grant else None

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        found = timelines.public(session, viewer, page, where=where, only_media=only_media)
        return views.statuses(session, ctx, found, viewer, "public")

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, views.page_ids(answer)))


def _own_list(which: str, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """The caller's bookmarks or favourites, newest first."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        node, page = node_of(request), page_of(request)

        def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
            viewer = session.get(Account, caller.id)
            assert viewer is not None
            found = getattr(timelines, which)(session, viewer, page)
            # Mastodon's own client filters these two lists as it filters home.
            return views.statuses(session, ctx, found, viewer, "home")

        answer = await node.db.read(load, node.ctx)
        return json(answer, headers=link_header(request, views.page_ids(answer)))

    return endpoint


async def tag(request: Request) -> Response:
    """A hashtag's public posts: this node's only with `local=true` (the `hashtag:local`
    stream's timeline), with attachments only with `only_media=true`."""
    grant = await grant_of(request)
    node, page = node_of(request), page_of(request)
    viewer = grant.account if grant else None
    name = request.path_params["hashtag"]
    local = bool_param(request.query_params, "local")
    only_media = bool_param(request.query_params, "only_media")

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        found = timelines.tag(session, viewer, name, page, local=local, only_media=only_media)
        return views.statuses(session, ctx, found, viewer, "public")

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, views.page_ids(answer)))


routes = [
    Route("/api/v1/timelines/home", home, methods=["GET"]),
    Route("/api/v1/timelines/public", public, methods=["GET"]),
    Route("/api/v1/timelines/tag/{hashtag}", tag, methods=["GET"]),
    Route("/api/v1/bookmarks", _own_list("bookmarks", "read:bookmarks"), methods=["GET"]),
    Route("/api/v1/favourites", _own_list("favourites", "read:favourites"), methods=["GET"]),
]

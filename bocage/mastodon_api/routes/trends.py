"""Trends: hashtags, posts and links (core/timelines/trends.py). Pages by `offset`, as Mastodon."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.timelines import timelines, trends
from bocage.kernel.context import Context
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of
from bocage.mastodon_api.http import count_param, json, node_of


def _window(request: Request, default: int, most: int) -> tuple[int, int]:
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", most) or default
    return limit, count_param(query.get("offset"), "offset") or 0


def _next_link(request: Request, offset: int, count: int, limit: int) -> dict[str, str]:
    if count < limit:
        return {}
    kept = {k: v for k, v in request.query_params.items() if k != "offset"}
    target = f"{node_of(request).ctx.urls.base}{request.url.path}"
    return {"Link": f'<{target}?{urlencode({**kept, "offset": offset + count})}>; rel="next"'}


async def tags(request: Request) -> Response:
    limit, offset = _window(request, 10, 20)
    node = node_of(request)

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        found = trends.tags(session, limit, offset)
        return [entities.tag(ctx, trend.name, trend.history) for trend in found]

    answer = await node.db.read_off_loop(load, node.ctx)  # a week of posts to count
    return json(answer, headers=_next_link(request, offset, len(answer), limit))


async def statuses(request: Request) -> Response:
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    limit, offset = _window(request, 20, 40)
    node = node_of(request)

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        ids = trends.statuses(session, viewer.id if viewer else None, limit, offset)
        return views.statuses(
            session, ctx, timelines.hydrate(session, viewer, ids), viewer, "public"
        )

    answer = await node.db.read_off_loop(load, node.ctx)  # a week of posts to count
    return json(answer, headers=_next_link(request, offset, len(answer), limit))


async def links(_request: Request) -> Response:
    """Trending links need link previews (preview cards), which this node does not make."""
    return json([])


routes = [
    Route("/api/v1/trends", tags, methods=["GET"]),
    Route("/api/v1/trends/tags", tags, methods=["GET"]),
    Route("/api/v1/trends/statuses", statuses, methods=["GET"]),
    Route("/api/v1/trends/links", links, methods=["GET"]),
]

"""Trends: hashtags, posts and links (core/timelines/trends.py). Pages by `offset`, as Mastodon."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of
from bocage.mastodon_api.http import count_param, json, services_of


def _window(request: Request, default: int, most: int) -> tuple[int, int]:
    query = request.query_params
    limit = count_param(query.get("limit"), "limit", most) or default
    return limit, count_param(query.get("offset"), "offset") or 0


def _next_link(request: Request, offset: int, count: int, limit: int) -> dict[str, str]:
    if count < limit:
        return {}
    kept = {k: v for k, v in request.query_params.items() if k != "offset"}
    target = f"{services_of(request).ctx.urls.base}{request.url.path}"
    return {"Link": f'<{target}?{urlencode({**kept, "offset": offset + count})}>; rel="next"'}


async def tags(request: Request) -> Response:
    limit, offset = _window(request, 10, 20)
    services = services_of(request)
    found = await services.timelines.trending_tags(limit, offset)
    answer = [entities.tag(services.ctx, trend.name, trend.history) for trend in found]
    return json(answer, headers=_next_link(request, offset, len(answer), limit))


async def statuses(request: Request) -> Response:
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    limit, offset = _window(request, 20, 40)
    services = services_of(request)
    found = services.timelines.trending_posts(viewer, limit, offset)
    answer = await found.present(views.page_of(services.ctx, viewer, "public"))
    return json(answer, headers=_next_link(request, offset, len(answer), limit))


async def links(request: Request) -> Response:
    """The links the most people shared this week, as PreviewCards with their history."""
    limit, offset = _window(request, 10, 20)
    services = services_of(request)
    found = await services.cards.trending_links(limit, offset)
    answer = [
        entities.preview_card(services.ctx, shown, history=trend.history) for trend, shown in found
    ]
    return json(answer, headers=_next_link(request, offset, len(answer), limit))


routes = [
    Route("/api/v1/trends", tags, methods=["GET"]),
    Route("/api/v1/trends/tags", tags, methods=["GET"]),
    Route("/api/v1/trends/statuses", statuses, methods=["GET"]),
    Route("/api/v1/trends/links", links, methods=["GET"]),
]

"""Scheduled statuses (docs.joinmastodon.org/methods/scheduled_statuses): list, show,
reschedule and cancel what `POST /api/v1/statuses` with `scheduled_at` made."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.posts import scheduled
from bocage.kernel.context import Context
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, page_of, params, services_of, text_param
from bocage.services.posts import ScheduledView


def entity(ctx: Context, shown: ScheduledView) -> dict[str, Any]:
    """A ScheduledStatus (with the uploads it reserved)."""
    row, uploads = shown
    return entities.scheduled_status(ctx, row, uploads)


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    services, page = services_of(request), page_of(request)
    found = await services.posts.scheduled_page(caller, page)
    answer = [entity(services.ctx, shown) for shown in found]
    return json(answer, headers=link_header(request, [int(row["id"]) for row in answer]))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    services = services_of(request)
    shown = await services.posts.scheduled_one(caller, request.path_params["id"])
    return json(entity(services.ctx, shown))


async def update(request: Request) -> Response:
    """Only `scheduled_at` changes (at least 5 minutes ahead, as when it was made)."""
    _grant, caller = await require_user(request, "write:statuses")
    services = services_of(request)
    given = text_param(await params(request), "scheduled_at").strip()
    at = scheduled.parse_time(given) if given else None
    shown = await services.posts.reschedule(caller, request.path_params["id"], at)
    return json(entity(services.ctx, shown))


async def cancel(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    await services_of(request).posts.cancel_scheduled(caller, request.path_params["id"])
    return json({})


routes = [
    Route("/api/v1/scheduled_statuses", index, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:id}", show, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:id}", update, methods=["PUT"]),
    Route("/api/v1/scheduled_statuses/{id:id}", cancel, methods=["DELETE"]),
]

"""Notifications: list (filtered by type, paged), one, dismiss, clear."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import NotFound
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, page_of, services_of
from bocage.services.reader import Reader
from bocage.store.models import Notification


def _ours(names: list[str]) -> frozenset[str]:
    return frozenset(ours for ours, theirs in views.NOTIFICATION_TYPES.items() if theirs in names)


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services, page = services_of(request), page_of(request, default_limit=40, max_limit=80)
    query = request.query_params
    wanted = query.getlist("types[]") + query.getlist("types")
    excluded = query.getlist("exclude_types[]") + query.getlist("exclude_types")

    def present(reader: Reader, rows: list[Notification]) -> tuple[list[dict[str, Any]], list[int]]:
        shown = [
            views.notification(reader, services.ctx, caller, row, keep_hidden=False) for row in rows
        ]
        # Paging follows the page as read, filtered or not: a page of hidden ones is not
        # the end of the notifications.
        return [entity for entity in shown if entity], [row.id for row in rows]

    found = services.notifications.page(
        caller,
        max_id=page.max_id,
        min_id=page.min_id,
        limit=page.limit,
        types=_ours(wanted) if wanted else frozenset(views.NOTIFICATION_TYPES),
        exclude=_ours(excluded),
    )
    answer, page_ids = await found.present(present)
    return json(answer, headers=link_header(request, page_ids))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    services = services_of(request)

    def present(reader: Reader, row: Notification) -> dict[str, Any]:
        if row.type not in views.NOTIFICATION_TYPES:
            raise NotFound("Record not found")
        entity = views.notification(reader, services.ctx, caller, row, keep_hidden=True)
        assert entity is not None
        return entity

    found = services.notifications.one(caller, request.path_params["id"])
    return json(await found.present(present))


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await services_of(request).notifications.dismiss(caller, request.path_params["id"])
    return json({})


async def clear(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await services_of(request).notifications.clear(caller)
    return json({})


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id:id}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id:id}/dismiss", dismiss, methods=["POST"]),
]

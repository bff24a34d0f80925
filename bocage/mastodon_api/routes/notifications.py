"""Notifications: list (filtered by type, paged), one, dismiss, clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.notifications import notifications
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, node_of, page_of
from bocage.store.models import Account, Notification


def _ours(names: list[str]) -> frozenset[str]:
    return frozenset(ours for ours, theirs in views.NOTIFICATION_TYPES.items() if theirs in names)


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    node, page = node_of(request), page_of(request, default_limit=40, max_limit=80)
    query = request.query_params
    wanted = query.getlist("types[]") + query.getlist("types")
    excluded = query.getlist("exclude_types[]") + query.getlist("exclude_types")

    def load(session: Session, ctx: Context) -> tuple[list[dict[str, Any]], list[int]]:
        me = session.get(Account, caller.id)
        assert me is not None
        rows = notifications.page(
            session,
            me,
            max_id=page.max_id,
            min_id=page.min_id,
            limit=page.limit,
            types=_ours(wanted) if wanted else frozenset(views.NOTIFICATION_TYPES),
            exclude=_ours(excluded),
        )
        shown = [views.notification(session, ctx, me, row, keep_hidden=False) for row in rows]
        # Paging follows the page as read, filtered or not: a page of hidden ones is not
        # the end of the notifications.
        return [entity for entity in shown if entity], [row.id for row in rows]

    answer, page_ids = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, page_ids))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    node = node_of(request)
    notification_id = request.path_params["id"]

    def load(session: Session, ctx: Context) -> dict[str, Any]:
        row = session.get(Notification, notification_id or 0)
        me = session.get(Account, caller.id)
        if (
            row is None
            or me is None
            or row.account_id != me.id
            or row.type not in views.NOTIFICATION_TYPES
        ):
            raise NotFound("Record not found")
        entity = views.notification(session, ctx, me, row, keep_hidden=True)
        assert entity is not None
        return entity

    return json(await node.db.read(load, node.ctx))


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    notification_id = request.path_params["id"]
    await node_of(request).db.write(notifications.dismiss, caller.id, notification_id)
    return json({})


async def clear(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await node_of(request).db.write(notifications.clear, caller.id)
    return json({})


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id:id}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id:id}/dismiss", dismiss, methods=["POST"]),
]

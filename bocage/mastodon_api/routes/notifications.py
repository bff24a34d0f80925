"""Notifications: list (filtered by type, paged), one, dismiss, clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import notifications, timelines
from bocage.core.context import Context
from bocage.core.errors import NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import id_param, json, link_header, node_of, page_of
from bocage.store.models import Account, Notification

# Ours → Mastodon's: a reply is a mention there. Reports reach admins on the web pages;
# Mastodon's admin.report carries a Report entity the admin API will provide.
TYPES = {
    "follow": "follow", "follow_request": "follow_request", "mention": "mention",
    "reply": "mention", "favourite": "favourite", "reblog": "reblog", "update": "update",
    "poll": "poll",
}  # fmt: skip


def _ours(names: list[str]) -> frozenset[str]:
    return frozenset(ours for ours, theirs in TYPES.items() if theirs in names)


def _entity(session: Session, ctx: Context, viewer: Account, row: Notification) -> dict[str, Any]:
    sender = session.get(Account, row.from_account_id)
    assert sender is not None  # notifications cascade-delete with their sender
    entity: dict[str, Any] = {
        "id": str(row.id),
        "type": TYPES[row.type],
        "created_at": entities.timestamp(row.created_at),
        "group_key": f"ungrouped-{row.id}",
        "account": entities.account(ctx, sender),
        "status": None,
    }
    if row.post_id:
        found = timelines.hydrate(session, viewer, [row.post_id])
        shown = views.statuses(session, ctx, found, viewer, "notifications")
        entity["status"] = shown[0] if shown else None
    return entity


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    node, page = node_of(request), page_of(request, default_limit=40, max_limit=80)
    query = request.query_params
    wanted = query.getlist("types[]") + query.getlist("types")
    excluded = query.getlist("exclude_types[]") + query.getlist("exclude_types")

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        me = session.get(Account, caller.id)
        assert me is not None
        rows = notifications.page(
            session,
            me,
            max_id=page.max_id,
            min_id=page.min_id,
            limit=page.limit,
            types=_ours(wanted) if wanted else frozenset(TYPES),
            exclude=_ours(excluded),
        )
        return [_entity(session, ctx, me, row) for row in rows]

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, [int(n["id"]) for n in answer]))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:notifications")
    node = node_of(request)
    notification_id = id_param(request.path_params["id"], "id")

    def load(session: Session, ctx: Context) -> dict[str, Any]:
        row = session.get(Notification, notification_id or 0)
        me = session.get(Account, caller.id)
        if row is None or me is None or row.account_id != me.id or row.type not in TYPES:
            raise NotFound("Record not found")
        return _entity(session, ctx, me, row)

    return json(await node.db.read(load, node.ctx))


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    notification_id = id_param(request.path_params["id"], "id") or 0
    await node_of(request).db.write(notifications.dismiss, caller.id, notification_id)
    return json({})


async def clear(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:notifications")
    await node_of(request).db.write(notifications.clear, caller.id)
    return json({})


routes = [
    Route("/api/v1/notifications", index, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", show, methods=["GET"]),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]

"""Scheduled statuses (docs.joinmastodon.org/methods/scheduled_statuses): list, show,
reschedule and cancel what `POST /api/v1/statuses` with `scheduled_at` made."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.posts import scheduled
from bocage.kernel.context import Context
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import (
    json,
    link_header,
    node_of,
    page_of,
    params,
    text_param,
)
from bocage.store.models import Account, ScheduledStatus


def rendered(session: Session, ctx: Context, rows: list[ScheduledStatus]) -> list[dict[str, Any]]:
    uploads = scheduled.attachments(session, rows)
    return [entities.scheduled_status(ctx, row, uploads[row.id]) for row in rows]


def one(session: Session, ctx: Context, caller: Account, scheduled_id: int) -> dict[str, Any]:
    """A ScheduledStatus of the caller's, as an API answer (404 if it is not theirs)."""
    return rendered(session, ctx, [scheduled.own(session, caller, scheduled_id)])[0]


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    node, page = node_of(request), page_of(request)

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        return rendered(session, ctx, scheduled.page(session, caller, page))

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, [int(row["id"]) for row in answer]))


async def show(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    node = node_of(request)
    scheduled_id = request.path_params["id"]
    return json(await node.db.read(one, node.ctx, caller, scheduled_id))


async def update(request: Request) -> Response:
    """Only `scheduled_at` changes (at least 5 minutes ahead, as when it was made)."""
    _grant, caller = await require_user(request, "write:statuses")
    node = node_of(request)
    scheduled_id = request.path_params["id"]
    given = text_param(await params(request), "scheduled_at").strip()
    at = scheduled.parse_time(given) if given else None

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        if at is None:
            return one(session, ctx, caller, scheduled_id)  # nothing asked, nothing changed
        row = scheduled.reschedule(session, caller, scheduled_id, at)
        return rendered(session, ctx, [row])[0]

    answer = await node.db.write(apply, node.ctx)
    return json(answer)


async def cancel(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    node = node_of(request)
    scheduled_id = request.path_params["id"]
    await node.db.write(scheduled.cancel, caller, scheduled_id)
    return json({})


routes = [
    Route("/api/v1/scheduled_statuses", index, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:id}", show, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id:id}", update, methods=["PUT"]),
    Route("/api/v1/scheduled_statuses/{id:id}", cancel, methods=["DELETE"]),
]

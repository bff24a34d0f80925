"""Direct conversations (docs.joinmastodon.org/methods/conversations): the caller's list,
paged by each conversation's last status; mark one read; remove one from the list."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.messaging import conversations
from bocage.kernel.context import Context
from bocage.mastodon_api import views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, node_of, page_of
from bocage.store.models import Account


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    node, page = node_of(request), page_of(request)

    def load(session: Session, ctx: Context) -> tuple[list[dict[str, Any]], list[int]]:
        viewer = session.get(Account, caller.id)
        assert viewer is not None
        rows = conversations.page(session, viewer, page)
        return views.conversation_entities(session, ctx, viewer, rows), [
            row.last_status_id for row in rows
        ]

    answer, last_ids = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, last_ids))


async def read(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:conversations")
    node = node_of(request)
    conversation_id = request.path_params["id"]

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        viewer = session.get(Account, caller.id)
        assert viewer is not None
        row = conversations.mark_read(session, viewer, conversation_id)
        return views.conversation_entities(session, ctx, viewer, [row])[0]

    return json(await node.db.write(apply, node.ctx))


async def remove(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:conversations")
    node = node_of(request)
    conversation_id = request.path_params["id"]
    await node.db.write(conversations.remove, caller, conversation_id)
    return json({})


routes = [
    Route("/api/v1/conversations", index, methods=["GET"]),
    Route("/api/v1/conversations/{id:id}", remove, methods=["DELETE"]),
    Route("/api/v1/conversations/{id:id}/read", read, methods=["POST"]),
]

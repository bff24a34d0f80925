"""Direct conversations (docs.joinmastodon.org/methods/conversations): the caller's list,
paged by each conversation's last status; mark one read; remove one from the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api import views
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import json, link_header, page_of, services_of
from bocage.services.reader import ConversationPage, Reader
from bocage.store.models import Account


def _entities(
    request: Request, viewer: Account
) -> Callable[[Reader, ConversationPage], list[dict[str, Any]]]:
    ctx = services_of(request).ctx

    def present(reader: Reader, found: ConversationPage) -> list[dict[str, Any]]:
        return views.conversation_page(reader, ctx, viewer, found)

    return present


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:statuses")
    rendered = _entities(request, caller)

    def present(reader: Reader, found: ConversationPage) -> tuple[list[dict[str, Any]], list[int]]:
        # Paged by their last statuses: a conversation's own id is never shown in a Link.
        return rendered(reader, found), [row.last_status_id for row in found.rows]

    page = services_of(request).conversations.page(caller, page_of(request))
    answer, last_ids = await page.present(present)
    return json(answer, headers=link_header(request, last_ids))


async def read(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:conversations")
    services = services_of(request)
    conversation_id = request.path_params["id"]
    await services.conversations.mark_read(caller, conversation_id)
    found = services.conversations.one(caller, conversation_id)
    return json((await found.present(_entities(request, caller)))[0])


async def remove(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:conversations")
    await services_of(request).conversations.remove(caller, request.path_params["id"])
    return json({})


routes = [
    Route("/api/v1/conversations", index, methods=["GET"]),
    Route("/api/v1/conversations/{id:id}", remove, methods=["DELETE"]),
    Route("/api/v1/conversations/{id:id}/read", read, methods=["POST"]),
]

"""Announcements from the node's admins (Mastodon's): read them, mark one read, react with
emojis. The admins publish them on the web (Admin → Announcements)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.content import text
from bocage.core.instance.announcements import AnnouncementView
from bocage.kernel.context import Context
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.entities import timestamp
from bocage.mastodon_api.http import json, services_of


def announcement(ctx: Context, view: AnnouncementView) -> dict[str, Any]:
    row = view.announcement
    return {
        "id": str(row.id),
        "content": text.render(row.text, lambda _handle: None, ctx.urls.tag),
        "starts_at": timestamp(row.starts_at) if row.starts_at else None,
        "ends_at": timestamp(row.ends_at) if row.ends_at else None,
        "all_day": row.all_day,
        "published_at": timestamp(row.published_at or row.created_at),
        "updated_at": timestamp(row.updated_at),
        "read": view.read,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": [
            {"name": reaction.name, "count": reaction.count, "me": reaction.me}
            for reaction in view.reactions
        ],
    }


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read")
    services = services_of(request)
    found = await services.instance.announcements(caller)
    return json([announcement(services.ctx, view) for view in found])


async def dismiss(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    await services_of(request).instance.dismiss_announcement(caller, request.path_params["id"])
    return json({})


async def react(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:favourites")
    await services_of(request).instance.react_to_announcement(
        caller, request.path_params["id"], request.path_params["name"]
    )
    return json({})


async def unreact(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:favourites")
    await services_of(request).instance.unreact_to_announcement(
        caller, request.path_params["id"], request.path_params["name"]
    )
    return json({})


routes = [
    Route("/api/v1/announcements", index, methods=["GET"]),
    Route("/api/v1/announcements/{id:id}/dismiss", dismiss, methods=["POST"]),
    Route("/api/v1/announcements/{id:id}/reactions/{name}", react, methods=["PUT"]),
    Route("/api/v1/announcements/{id:id}/reactions/{name}", unreact, methods=["DELETE"]),
]

"""Annual reports ("Wrapstodon", Mastodon 4.3+): this node makes none, so every list is empty,
as a Mastodon server answers someone it has no report for."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import error, json

NONE: dict[str, list[object]] = {"annual_reports": [], "accounts": [], "statuses": []}


async def index(request: Request) -> Response:
    await require_user(request, "read:accounts")
    return json(NONE)


async def show(request: Request) -> Response:
    await require_user(request, "read:accounts")
    return json(NONE)


async def state(request: Request) -> Response:
    await require_user(request, "read:accounts")
    return json({"state": "ineligible"})


async def read(request: Request) -> Response:
    await require_user(request, "write:accounts")
    return error("Record not found", 404)


routes = [
    Route("/api/v1/annual_reports", index, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}", show, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}/state", state, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}/read", read, methods=["POST"]),
]

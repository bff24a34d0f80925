"""Annual reports ("Wrapstodon", Mastodon 4.3+): this node makes none, so every list is empty,
as a Mastodon server answers someone it has no report for. Asking one to be generated
(4.6) outside Mastodon's yearly campaign is a 204 with nothing started, and so it always is
here; the asynchronous refreshes such work is followed by (`/api/v1_alpha/async_refreshes`,
4.4) are therefore never there: 404, as Mastodon answers for one that has expired."""

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


async def generate(request: Request) -> Response:
    """Mastodon returns before doing anything when the year is not its current campaign's,
    and Rails then answers 204 No Content; no campaign ever runs here."""
    await require_user(request, "write:accounts")
    return Response(status_code=204)


async def async_refresh(request: Request) -> Response:
    """No refresh ever runs here, so none is found (Mastodon's `not_found`)."""
    await require_user(request, "read")
    return error("Record not found", 404)


routes = [
    Route("/api/v1/annual_reports", index, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}", show, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}/state", state, methods=["GET"]),
    Route("/api/v1/annual_reports/{year:id}/read", read, methods=["POST"]),
    Route("/api/v1/annual_reports/{year:id}/generate", generate, methods=["POST"]),
    Route("/api/v1_alpha/async_refreshes/{id}", async_refresh, methods=["GET"]),
]

"""Markers (docs.joinmastodon.org/methods/markers): where the caller stopped reading their
home timeline and their notifications, shared by all their apps."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.reading import markers
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import id_param, json, params, services_of
from bocage.store.models import Marker


def _answer(found: dict[str, Marker]) -> dict[str, Any]:
    return {timeline: entities.marker(row) for timeline, row in found.items()}


async def index(request: Request) -> Response:
    """`timeline[]=home&timeline[]=notifications`; none asked, none answered (Mastodon)."""
    _grant, caller = await require_user(request, "read:statuses")
    query = request.query_params
    wanted = query.getlist("timeline[]") + query.getlist("timeline")
    return json(_answer(await services_of(request).timelines.markers(caller, wanted)))


async def save(request: Request) -> Response:
    """`home[last_read_id]=…` (form) or `{"home": {"last_read_id": "…"}}` (JSON), for `home`
    and `notifications`; other names are ignored, as by Mastodon."""
    _grant, caller = await require_user(request, "write:statuses")
    positions = _positions(await params(request))
    return json(_answer(await services_of(request).timelines.save_markers(caller, positions)))


def _positions(values: dict[str, Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for timeline in markers.TIMELINES:
        given = values.get(timeline)
        value = given.get("last_read_id") if isinstance(given, dict) else None
        value = values.get(f"{timeline}[last_read_id]", value)
        if value is None:
            continue
        if isinstance(value, bool | dict | list):
            raise InvalidInput(f"{timeline}[last_read_id] must be an id.")
        found = id_param(value, f"{timeline}[last_read_id]")
        if found is not None:
            positions[timeline] = found
    return positions


routes = [
    Route("/api/v1/markers", index, methods=["GET"]),
    Route("/api/v1/markers", save, methods=["POST"]),
]

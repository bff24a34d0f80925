"""Polls: read one (`GET /api/v1/polls/:id`) and vote (`POST /api/v1/polls/:id/votes`).

Polls are made with their post (`POST /api/v1/statuses` with `poll[...]`, see statuses.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, grant_of, require_user
from bocage.mastodon_api.http import json, params, services_of


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    if grant is not None and not grant.allows("read:statuses"):
        raise ApiError("This action is outside the authorized scopes", 403)
    viewer = grant.account if grant is not None else None
    found = await services_of(request).posts.poll(viewer, request.path_params["id"])
    return json(entities.poll(found))


async def vote(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    services = services_of(request)
    poll_id = request.path_params["id"]
    choices = _choices(await params(request))
    await services.posts.vote(caller, poll_id, choices)
    return json(entities.poll(await services.posts.poll(caller, poll_id)))


def _choices(values: dict[str, Any]) -> list[int]:
    """`choices[]=0&choices[]=2` or `{"choices": [0, 2]}` (numbers or digit strings)."""
    given = values.get("choices")
    items = given if isinstance(given, list) else [] if given is None else [given]
    found = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise InvalidInput("Validation failed: choices must be indexes of the poll's options")
        index = numbers.parse_integer(item.strip() if isinstance(item, str) else item)
        if index is None:
            raise InvalidInput("Validation failed: choices must be indexes of the poll's options")
        found.append(index)
    return found


routes = [
    Route("/api/v1/polls/{id:id}", show, methods=["GET"]),
    Route("/api/v1/polls/{id:id}/votes", vote, methods=["POST"]),
]

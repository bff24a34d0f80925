"""Polls: read one (`GET /api/v1/polls/:id`) and vote (`POST /api/v1/polls/:id/votes`).

Polls are made with their post (`POST /api/v1/statuses` with `poll[...]`, see statuses.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.polls import polls
from bocage.kernel import numbers
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, grant_of, require_user
from bocage.mastodon_api.http import json, node_of, params
from bocage.store.models import Account


def _shown(session: Session, viewer_id: int | None, poll_id: int) -> dict[str, Any]:
    return entities.poll(polls.get_visible(session, viewer_id, poll_id))


async def show(request: Request) -> Response:
    grant = await grant_of(request)
    if grant is not None and not grant.allows("read:statuses"):
        raise ApiError("This action is outside the authorized scopes", 403)
    viewer_id = grant.account.id if grant is not None and grant.account is not None else None
    poll_id = request.path_params["id"]
    return json(await node_of(request).db.read(_shown, viewer_id, poll_id))


async def vote(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:statuses")
    node = node_of(request)
    poll_id = request.path_params["id"]
    choices = _choices(await params(request))

    def apply(session: Session) -> None:
        voter = session.get(Account, caller.id)
        assert voter is not None
        polls.vote(session, voter, poll_id, choices)

    await node.db.write(apply)
    return json(await node.db.read(_shown, caller.id, poll_id))


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

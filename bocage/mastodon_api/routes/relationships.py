"""Relationships between the caller and other accounts: read them, follow, unfollow, block,
mute and their undoing, follow requests, and the followers/following lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import graph
from bocage.core.context import Context
from bocage.core.errors import NotFound
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import require_user
from bocage.mastodon_api.http import id_param, json, node_of
from bocage.store.models import Account

GraphAction = Callable[[Session, Context, Account, Account], object]


def _pair(session: Session, caller_id: int, target_id: int | None) -> tuple[Account, Account]:
    me, target = session.get(Account, caller_id), session.get(Account, target_id or 0)
    if me is None or target is None or target.suspended:
        raise NotFound("Record not found")
    return me, target


async def relationships(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    ids = [id_param(value, "id") for value in request.query_params.getlist("id[]")]
    ids += [id_param(value, "id") for value in request.query_params.getlist("id")]

    def load(session: Session) -> list[dict[str, Any]]:
        return [
            entities.relationship(target, graph.relationship(session, caller.id, target))
            for target in dict.fromkeys(i for i in ids if i)
            if session.get(Account, target) is not None
        ]

    return json(await node_of(request).db.read(load))


def _action(action: GraphAction, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """A POST /api/v1/accounts/:id/<verb> that applies `action`, then answers the new
    Relationship (Mastodon's contract for all of them)."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        target_id = id_param(request.path_params["id"], "id")
        node = node_of(request)

        def apply(session: Session, ctx: Context) -> dict[str, Any]:
            me, target = _pair(session, caller.id, target_id)
            action(session, ctx, me, target)
            session.flush()
            return entities.relationship(target.id, graph.relationship(session, me.id, target.id))

        answer = await node.db.write(apply, node.ctx)
        node.jobs_committed()
        return json(answer)

    return endpoint


def _mute(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    graph.mute(session, me, target)


def _unmute(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    graph.unmute(session, me, target)


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        account_id = id_param(request.path_params["id"], "id")
        node = node_of(request)

        def load(session: Session) -> list[dict[str, Any]]:
            account = session.get(Account, account_id or 0)
            if account is None or account.suspended:
                raise NotFound("Record not found")
            found = getattr(graph, which)(session, account)
            return [entities.account(node.ctx, person) for person in found]

        return json(await node.db.read(load))

    return endpoint


async def follow_requests(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        me = session.get(Account, caller.id)
        assert me is not None
        return [entities.account(node.ctx, a) for a in graph.pending_requests(session, me)]

    return json(await node.db.read(load))


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    decide = graph.accept_request if accept else graph.reject_request

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, "write:follows")
        follower_id = id_param(request.path_params["id"], "id")
        node = node_of(request)

        def apply(session: Session, ctx: Context) -> dict[str, Any]:
            me, follower = _pair(session, caller.id, follower_id)
            decide(session, ctx, me, follower.id)
            session.flush()
            return entities.relationship(
                follower.id, graph.relationship(session, me.id, follower.id)
            )

        answer = await node.db.write(apply, node.ctx)
        node.jobs_committed()
        return json(answer)

    return endpoint


routes = [
    Route("/api/v1/accounts/relationships", relationships, methods=["GET"]),
    Route("/api/v1/accounts/{id}/follow", _action(graph.follow, "write:follows"), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/unfollow", _action(graph.unfollow, "write:follows"), methods=["POST"]
    ),
    Route("/api/v1/accounts/{id}/block", _action(graph.block, "write:blocks"), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/unblock", _action(graph.unblock, "write:blocks"), methods=["POST"]
    ),
    Route("/api/v1/accounts/{id}/mute", _action(_mute, "write:mutes"), methods=["POST"]),
    Route("/api/v1/accounts/{id}/unmute", _action(_unmute, "write:mutes"), methods=["POST"]),
    Route("/api/v1/accounts/{id}/followers", _people("followers"), methods=["GET"]),
    Route("/api/v1/accounts/{id}/following", _people("following"), methods=["GET"]),
    Route("/api/v1/follow_requests", follow_requests, methods=["GET"]),
    Route("/api/v1/follow_requests/{id}/authorize", _answer_request(True), methods=["POST"]),
    Route("/api/v1/follow_requests/{id}/reject", _answer_request(False), methods=["POST"]),
]

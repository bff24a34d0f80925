"""Accounts: the caller's own (`verify_credentials`), any by id, by handle (`lookup`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import accounts, graph, timelines
from bocage.core.context import Context
from bocage.core.errors import NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, require_user
from bocage.mastodon_api.http import id_param, json, link_header, node_of, page_of
from bocage.store.models import Account


async def verify_credentials(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    node = node_of(request)

    def load(session: Session) -> dict[str, Any]:
        account = session.get(Account, caller.id)
        assert account is not None
        waiting = len(graph.pending_requests(session, account))
        return entities.credential_account(node.ctx, account, waiting)

    return json(await node.db.read(load))


def _visible_account(session: Session, account_id: int | None) -> Account:
    account = session.get(Account, account_id) if account_id else None
    if account is None or account.suspended:
        raise NotFound("Record not found")
    return account


async def show(request: Request) -> Response:
    account_id = id_param(request.path_params["id"], "id")
    node = node_of(request)

    def load(session: Session) -> dict[str, Any]:
        return entities.account(node.ctx, _visible_account(session, account_id))

    return json(await node.db.read(load))


async def lookup(request: Request) -> Response:
    node = node_of(request)
    handle = request.query_params.get("acct", "").strip().removeprefix("@")

    def load(session: Session) -> dict[str, Any]:
        try:
            account = accounts.by_name(session, node.ctx.settings.domain, handle)
        except NotFound:
            raise NotFound("Record not found") from None
        return entities.account(node.ctx, _visible_account(session, account.id))

    return json(await node.db.read(load))


async def statuses(request: Request) -> Response:
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    account_id = id_param(request.path_params["id"], "id")
    node, page = node_of(request), page_of(request)
    exclude_replies = request.query_params.get("exclude_replies") in ("true", "1")

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        account = _visible_account(session, account_id)
        found = timelines.profile(session, viewer, account, page, with_replies=not exclude_replies)
        return views.statuses(session, ctx, found)

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, [int(s["id"]) for s in answer]))


routes = [
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/accounts/{id}", show, methods=["GET"]),
    Route("/api/v1/accounts/{id}/statuses", statuses, methods=["GET"]),
]

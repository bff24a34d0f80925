"""Featured hashtags: the caller's (list, feature, unfeature, suggestions) and any account's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import featured_tags
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, require_user
from bocage.mastodon_api.http import json, node_of, params, text_param, validation
from bocage.store.models import Account


def _own(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account


async def index(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        found = featured_tags.of_account(session, caller.id)
        return [entities.featured_tag(node.ctx, tag, caller.username) for tag in found]

    return json(await node.db.read(load))


async def create(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    name = text_param(await params(request), "name").strip()
    if not name:
        raise ApiError("param is missing or the value is empty: name", 400)
    node = node_of(request)

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        me = _own(session, caller.id)
        with validation():
            tag = featured_tags.feature(session, ctx, me, name)
        return entities.featured_tag(ctx, tag, me.username)

    answer = await node.db.write(apply, node.ctx)
    return json(answer)


async def delete(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    featured_id = request.path_params["id"]
    node = node_of(request)

    def apply(session: Session, ctx: Context) -> None:
        featured_tags.unfeature(session, ctx, _own(session, caller.id), featured_id)

    await node.db.write(apply, node.ctx)
    return json({})


async def suggestions(request: Request) -> Response:
    """The caller's most used hashtags (in their latest posts) not featured yet, as Tags."""
    _grant, caller = await require_user(request, "read:accounts")
    node = node_of(request)
    names = await node.db.read(featured_tags.suggestions, caller.id)
    return json([entities.tag(node.ctx, name) for name in names])


async def of_account(request: Request) -> Response:
    account_id = request.path_params["id"]
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        account = session.get(Account, account_id or 0)
        if account is None or account.suspended:
            raise NotFound("Record not found")
        found = featured_tags.of_account(session, account.id)
        return [entities.featured_tag(node.ctx, tag, account.username) for tag in found]

    return json(await node.db.read(load))


routes = [
    Route("/api/v1/featured_tags", index, methods=["GET"]),
    Route("/api/v1/featured_tags", create, methods=["POST"]),
    Route("/api/v1/featured_tags/suggestions", suggestions, methods=["GET"]),
    Route("/api/v1/featured_tags/{id:id}", delete, methods=["DELETE"]),
    Route("/api/v1/accounts/{id:id}/featured_tags", of_account, methods=["GET"]),
]

"""Accounts: the caller's own (`verify_credentials`), any by id, several by id, by handle
(`lookup`), by name (`search`), and an account's posts."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core import accounts, graph, numbers, oauth, timelines
from bocage.core.context import Context
from bocage.core.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities, views
from bocage.mastodon_api.auth import grant_of, optional, require, require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    detailed,
    id_list,
    json,
    link_header,
    node_of,
    page_of,
    params,
    services_of,
    text_param,
)
from bocage.mastodon_api.routes import search as search_routes
from bocage.services.accounts import ProfileChange
from bocage.store.models import Account
from bocage.web.auth import client_host


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
    account_id = request.path_params["id"]
    node = node_of(request)

    def load(session: Session) -> dict[str, Any]:
        return entities.account(node.ctx, _visible_account(session, account_id))

    return json(await node.db.read(load))


MAX_IDS = 40  # accounts asked for at once, as on Mastodon


async def index(request: Request) -> Response:
    """Several accounts at once (`id[]`), those that exist and may be shown, in order."""
    await optional(request, "read:accounts")
    ids = id_list(await params(request), "id")
    if len(ids) > MAX_IDS:
        raise InvalidInput(f"Validation failed: at most {MAX_IDS} accounts can be asked for")
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        return [entities.account(node.ctx, a) for a in accounts.by_ids(session, ids)]

    return json(await node.db.read(load))


async def search(request: Request) -> Response:
    """Accounts by handle or name (`q`), `following` only those the caller follows, with
    `resolve` a handle unknown here looked up on its server; `offset`/`limit` pages."""
    _grant, caller = await require_user(request, "read:accounts")
    values = await params(request)
    query = text_param(values, "q").strip()
    limit = count_param(values.get("limit"), "limit", 80) or 40
    offset = count_param(values.get("offset"), "offset") or 0
    following = bool_param(values, "following")
    if bool_param(values, "resolve"):
        await search_routes.discover(request, query)
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        followed_by = caller.id if following else None
        found = accounts.search(
            session,
            query,
            limit,
            offset=offset,
            followed_by=followed_by,
            local_domain=node.ctx.settings.domain,
        )
        return [entities.account(node.ctx, account) for account in found]

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
    """An account's posts, with Mastodon's filters: `exclude_replies`, `exclude_reblogs`,
    `only_media`, `pinned` (only pinned posts) and `tagged` (one hashtag)."""
    grant = await grant_of(request)
    viewer = grant.account if grant else None
    account_id = request.path_params["id"]
    node, page = node_of(request), page_of(request)
    query = dict(request.query_params)
    tagged = text_param(query, "tagged").strip() or None

    def load(session: Session, ctx: Context) -> list[dict[str, Any]]:
        account = _visible_account(session, account_id)
        found = timelines.profile(
            session,
            viewer,
            account,
            page,
            with_replies=not bool_param(query, "exclude_replies"),
            with_boosts=not bool_param(query, "exclude_reblogs"),
            only_media=bool_param(query, "only_media"),
            only_pinned=bool_param(query, "pinned"),
            tagged=tagged,
        )
        return views.statuses(session, ctx, found, viewer, "account")

    answer = await node.db.read(load, node.ctx)
    return json(answer, headers=link_header(request, views.page_ids(answer)))


async def update_credentials(request: Request) -> Response:
    """PATCH with any of display_name, note, locked, fields_attributes, avatar, header:
    what is not sent stays as it is."""
    return await detailed(_update_credentials(request))


async def _update_credentials(request: Request) -> Response:
    _grant, caller = await require_user(request, "write:accounts")
    services = services_of(request)
    values = await params(request, max_bytes=services.ctx.settings.max_request_bytes)
    change = ProfileChange(
        display_name=_given_text(values, "display_name"),
        note=_given_text(values, "note"),
        locked=bool_param(values, "locked") if values.get("locked") not in (None, "") else None,
        fields=_fields(values),
        avatar=await _upload(values, "avatar"),
        header=await _upload(values, "header"),
    )
    mine = await services.accounts.update_profile(caller, change)
    return json(entities.credential_account(services.ctx, mine.account, mine.follow_requests))


def _given_text(values: dict[str, Any], name: str) -> str | None:
    """A text parameter, or None when it is not sent (or sent as null)."""
    return text_param(values, name) if values.get(name) is not None else None


async def _upload(values: dict[str, Any], name: str) -> bytes | None:
    upload = values.get(name)
    return await upload.read() if isinstance(upload, UploadFile) else None


def _fields(values: dict[str, Any]) -> list[tuple[str, str]] | None:
    """`fields_attributes[0][name]=…` (forms) or `{"fields_attributes": [{…}]}` (JSON)."""
    given = values.get("fields_attributes")
    if isinstance(given, dict):
        given = [given[key] for key in sorted(given, key=str)]
    if isinstance(given, list):
        return [
            (str(f.get("name", "")), str(f.get("value", ""))) for f in given if isinstance(f, dict)
        ]
    indexed: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        if key.startswith("fields_attributes[") and key.endswith("]"):
            index, _, part = key[len("fields_attributes[") : -1].partition("][")
            indexed.setdefault(index, {})[part] = str(value)
    if not indexed:
        return None
    ordered = sorted(indexed.items(), key=lambda item: numbers.parse_id(item[0]) or 0)
    return [(f.get("name", ""), f.get("value", "")) for _, f in ordered]


async def register(request: Request) -> Response:
    """Sign-up from an app, honouring the node's registration mode (closed, approval,
    invite, open); answers the new person's Token."""
    return await detailed(_register(request))


async def _register(request: Request) -> Response:
    grant = await require(request, "write:accounts")
    values = await params(request)
    if not bool_param(values, "agreement"):
        raise InvalidInput("Agreement must be accepted", field="agreement", code="accepted")
    form = accounts.Registration(
        username=text_param(values, "username"),
        email=text_param(values, "email"),
        password=text_param(values, "password"),
        reason=text_param(values, "reason"),
        invite_code=text_param(values, "invite_code") or None,
    )
    accounts.validate_registration(form)
    node_of(request).sign_ups.begin(client_host(request))  # per address, not per token
    secrets = await asyncio.to_thread(accounts.make_secrets, form.password)

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        user = accounts.register(session, ctx, form, secrets)
        token, row = oauth.token_for_new_user(session, grant.app, user)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": int(row.created_at.timestamp()),
        }

    return json(await node_of(request).db.write(apply, node_of(request).ctx))


routes = [
    Route("/api/v1/accounts", register, methods=["POST"]),
    Route("/api/v1/accounts", index, methods=["GET"]),
    Route("/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH"]),
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/accounts/search", search, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}", show, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/statuses", statuses, methods=["GET"]),
]

"""Account migration settings: aliases (accounts this one also is) and moving away."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts, moves
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError, NotFound
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import client_host, node_of, require_viewer
from bocage.web.render import page, redirect, refusal

TEMPLATE = "settings_migration.html"


async def migration_form(request: Request) -> Response:
    return await _show(request)


async def _show(request: Request, refused: DomainError | None = None) -> Response:
    viewer = await require_viewer(request)
    aliases, moved_to = await node_of(request).db.read(_state, viewer.account.id)
    if refused is not None:
        return await refusal(request, TEMPLATE, refused, aliases=aliases, moved_to=moved_to)
    return await page(request, TEMPLATE, aliases=aliases, moved_to=moved_to)


def _state(session: Session, account_id: int) -> tuple[list[str], Account | None]:
    """The account's aliases, and where it moved (if it did)."""
    account = session.get(Account, account_id)
    assert account is not None
    moved_to = session.get(Account, account.moved_to_id) if account.moved_to_id else None
    return list(account.also_known_as or []), moved_to


async def find_account(request: Request, handle: str, *, fresh: bool = False) -> Account:
    """An account by the handle a person typed: one of ours, or looked up on its server
    (`fresh`: fetched again, for an alias that may have been added a moment ago)."""
    node = node_of(request)
    username, _, domain = handle.strip().removeprefix("@").partition("@")
    if not domain or domain.lower() == node.ctx.settings.domain:
        return await node.db.read(accounts.by_username, username)
    found = await node.federation.resolver.discover(handle)
    if fresh:
        return await node.federation.resolver.actor(found.uri, refresh=True)
    return found


async def add_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    node = node_of(request)
    try:
        other = await find_account(request, forms.text(form, "handle", max_length=300))
        await node.db.write(_change_aliases, node.ctx, viewer.account.id, other.uri, None)
    except DomainError as refused:
        return await _show(request, refused)
    return redirect(request, "/settings/migration", "Alias added.")


async def remove_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    node = node_of(request)
    gone = forms.text(form, "uri", max_length=500)
    await node.db.write(_change_aliases, node.ctx, viewer.account.id, None, gone)
    return redirect(request, "/settings/migration", "Alias removed.")


def _change_aliases(
    session: Session, ctx: Context, account_id: int, added: str | None, removed: str | None
) -> None:
    account = session.get(Account, account_id)
    assert account is not None
    current = [uri for uri in account.also_known_as or [] if uri != removed]
    moves.set_aliases(session, ctx, account, [*current, added] if added else current)


async def move_account(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    node = node_of(request)
    password = forms.text(form, "password", max_length=1000)
    try:
        await node.logins.confirm(client_host(request), viewer.user, password)
        target = await find_account(request, forms.text(form, "handle", max_length=300), fresh=True)
        await node.db.write(_move, node.ctx, viewer.account.id, target.id)
    except DomainError as refused:
        return await _show(request, refused)
    return redirect(request, "/settings/migration", "Your followers are being moved.")


def _move(session: Session, ctx: Context, account_id: int, target_id: int) -> None:
    account, target = session.get(Account, account_id), session.get(Account, target_id)
    if account is None or target is None:
        raise NotFound("That account is gone.")
    moves.move(session, ctx, account, target)


routes: list[Any] = [
    Route("/settings/migration", migration_form, methods=["GET"]),
    Route("/settings/migration/aliases", add_alias, methods=["POST"]),
    Route("/settings/migration/aliases/remove", remove_alias, methods=["POST"]),
    Route("/settings/migration/move", move_account, methods=["POST"]),
]

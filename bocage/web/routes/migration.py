"""Account migration settings: aliases (accounts this one also is) and moving away."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.edge import client_host
from bocage.kernel.errors import DomainError
from bocage.web import forms
from bocage.web.auth import require_viewer, services_of
from bocage.web.render import page, redirect, refusal

TEMPLATE = "settings_migration.html"


async def migration_form(request: Request) -> Response:
    return await _show(request)


async def _show(request: Request, refused: DomainError | None = None) -> Response:
    viewer = await require_viewer(request)
    aliases, moved_to = await services_of(request).accounts.migration(viewer.account)
    if refused is not None:
        return await refusal(request, TEMPLATE, refused, aliases=aliases, moved_to=moved_to)
    return await page(request, TEMPLATE, aliases=aliases, moved_to=moved_to)


async def add_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    try:
        await services_of(request).accounts.add_alias(
            viewer.account, forms.text(form, "handle", max_length=300)
        )
    except DomainError as refused:
        return await _show(request, refused)
    return redirect(request, "/settings/migration", "Alias added.")


async def remove_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    gone = forms.text(form, "uri", max_length=500)
    await services_of(request).accounts.remove_alias(viewer.account, gone)
    return redirect(request, "/settings/migration", "Alias removed.")


async def move_account(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    password = forms.text(form, "password", max_length=1000)
    try:
        await services_of(request).accounts.move(
            viewer.account,
            viewer.user,
            password,
            forms.text(form, "handle", max_length=300),
            client_host(request),
        )
    except DomainError as refused:
        return await _show(request, refused)
    return redirect(request, "/settings/migration", "Your followers are being moved.")


routes: list[Any] = [
    Route("/settings/migration", migration_form, methods=["GET"]),
    Route("/settings/migration/aliases", add_alias, methods=["POST"]),
    Route("/settings/migration/aliases/remove", remove_alias, methods=["POST"]),
    Route("/settings/migration/move", move_account, methods=["POST"]),
]

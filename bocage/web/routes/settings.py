"""The person's own settings: profile (name, bio, avatar, header, fields, locked), password."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.adapters import images
from bocage.core.accounts import accounts
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError
from bocage.store.models import Account
from bocage.web import forms
from bocage.web.auth import client_host, node_of, require_viewer
from bocage.web.render import page, redirect, refusal


async def profile_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    return await page(request, "settings_profile.html", account=viewer.account)


async def _store_image(request: Request, data: bytes | None, kind: str) -> str | None:
    return await images.store_profile_image(node_of(request).settings.media_dir, data, kind)


async def update_profile(request: Request) -> Response:
    viewer = await require_viewer(request)
    node = node_of(request)
    form = await forms.read_form(request, uploads=True)
    fields = [
        (
            forms.text(form, f"field_name_{i}", max_length=1000),
            forms.text(form, f"field_value_{i}", max_length=1000),
        )
        for i in range(accounts.MAX_FIELDS)
    ]
    try:
        change = accounts.ProfileUpdate(
            display_name=forms.text(form, "display_name", max_length=1000),
            note=forms.text(form, "note", max_length=10_000),
            locked=forms.flag(form, "locked"),
            fields=fields,
            avatar=await _store_image(request, await forms.file_bytes(form, "avatar"), "avatar"),
            header=await _store_image(request, await forms.file_bytes(form, "header"), "header"),
        )
        await node.db.write(_save_profile, node.ctx, viewer.account.id, change)
    except DomainError as exc:
        return await page(
            request, "settings_profile.html", exc.status, error=exc.message, account=viewer.account
        )
    return redirect(request, "/settings/profile", "Profile saved.")


def _save_profile(
    session: Session, ctx: Context, account_id: int, change: accounts.ProfileUpdate
) -> None:
    account = session.get(Account, account_id)
    assert account is not None
    accounts.update_profile(session, ctx, account, change)


async def password_form(request: Request) -> Response:
    await require_viewer(request)
    return await page(request, "settings_password.html")


async def change_password(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    node = node_of(request)
    current = forms.text(form, "current", max_length=1000)
    new = forms.text(form, "new", max_length=1000)
    try:
        await node.logins.confirm(client_host(request), viewer.user, current)
        password_hash = await asyncio.to_thread(accounts.new_password_hash, new)
        await node.db.write(accounts.set_password_hash, viewer.user.id, password_hash)
    except DomainError as exc:
        return await refusal(request, "settings_password.html", exc)
    return redirect(request, "/settings/password", "Password changed.")


routes = [
    Route("/settings/profile", profile_form, methods=["GET"]),
    Route("/settings/profile", update_profile, methods=["POST"]),
    Route("/settings/password", password_form, methods=["GET"]),
    Route("/settings/password", change_password, methods=["POST"]),
]

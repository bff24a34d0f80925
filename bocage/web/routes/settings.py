"""The person's own settings: profile (name, bio, avatar, header, fields, locked), password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.edge import client_host
from bocage.kernel.errors import DomainError
from bocage.services.accounts import ProfileChange
from bocage.web import forms
from bocage.web.auth import require_viewer, services_of
from bocage.web.render import page, redirect, refusal


async def profile_form(request: Request) -> Response:
    viewer = await require_viewer(request)
    return await page(request, "settings_profile.html", account=viewer.account)


async def update_profile(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request, uploads=True)
    fields = [
        (
            forms.text(form, f"field_name_{i}", max_length=1000),
            forms.text(form, f"field_value_{i}", max_length=1000),
        )
        for i in range(accounts.MAX_FIELDS)
    ]
    try:
        change = ProfileChange(
            display_name=forms.text(form, "display_name", max_length=1000),
            note=forms.text(form, "note", max_length=10_000),
            locked=forms.flag(form, "locked"),
            fields=fields,
            avatar=await forms.file_bytes(form, "avatar"),
            header=await forms.file_bytes(form, "header"),
        )
        await services_of(request).accounts.update_profile(viewer.account, change)
    except DomainError as exc:
        return await page(
            request, "settings_profile.html", exc.status, error=exc.message, account=viewer.account
        )
    return redirect(request, "/settings/profile", "Profile saved.")


async def password_form(request: Request) -> Response:
    await require_viewer(request)
    return await page(request, "settings_password.html")


async def change_password(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    current = forms.text(form, "current", max_length=1000)
    new = forms.text(form, "new", max_length=1000)
    try:
        await services_of(request).accounts.change_password(
            viewer.user, current, new, client_host(request)
        )
    except DomainError as exc:
        return await refusal(request, "settings_password.html", exc)
    return redirect(request, "/settings/password", "Password changed.")


routes = [
    Route("/settings/profile", profile_form, methods=["GET"]),
    Route("/settings/profile", update_profile, methods=["POST"]),
    Route("/settings/password", password_form, methods=["GET"]),
    Route("/settings/password", change_password, methods=["POST"]),
]

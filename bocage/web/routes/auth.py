"""Sign-up, log-in, log-out, and the one-time link that creates the first admin."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.edge import client_host
from bocage.kernel.errors import DomainError, NotFound
from bocage.web import forms
from bocage.web.auth import current_viewer, end_session, services_of, start_session
from bocage.web.render import page, redirect, refusal


async def login_form(request: Request) -> Response:
    if await current_viewer(request):
        return redirect(request, "/home")
    return await page(request, "login.html", next=request.query_params.get("next", "/home"))


async def login(request: Request) -> Response:
    form = await forms.read_form(request)
    login_name = forms.text(form, "login", max_length=320).strip()
    password = forms.text(form, "password", max_length=1000)
    target = forms.text(form, "next", "/home", max_length=500)
    try:
        user = await services_of(request).auth.log_in(client_host(request), login_name, password)
    except DomainError as exc:
        return await refusal(request, "login.html", exc, login=login_name, next=target)
    response = redirect(request, target or "/home")
    await start_session(request, response, user)
    return response


async def logout(request: Request) -> Response:
    await forms.read_form(request)
    response = redirect(request, "/", "You are logged out.")
    await end_session(request, response)
    return response


def _registration(form: forms.FormData, **extra: Any) -> accounts.Registration:
    return accounts.Registration(
        username=forms.text(form, "username", max_length=100).strip(),
        email=forms.text(form, "email", max_length=320).strip(),
        password=forms.text(form, "password", max_length=1000),
        **extra,
    )


async def register_form(request: Request) -> Response:
    return await page(request, "register.html", invite=request.query_params.get("invite", ""))


async def register(request: Request) -> Response:
    form = await forms.read_form(request)
    registration = _registration(
        form,
        reason=forms.text(form, "reason", max_length=1000),
        invite_code=forms.text(form, "invite", max_length=64).strip() or None,
        agreed_to_rules=forms.flag(form, "agree"),
    )
    try:
        signed_up = await services_of(request).accounts.register(registration, client_host(request))
    except DomainError as exc:
        return await refusal(
            request, "register.html", exc, form=registration, invite=registration.invite_code or ""
        )
    if not signed_up.user.approved:
        return await page(request, "registered.html", username=registration.username)
    response = redirect(request, "/home", f"Welcome, @{registration.username}!")
    await start_session(request, response, signed_up.user)
    return response


async def setup_form(request: Request) -> Response:
    if not await services_of(request).accounts.setup_token_valid(request.path_params["token"]):
        raise NotFound("This setup link has already been used or is not valid.")
    return await page(request, "setup.html", token=request.path_params["token"])


async def setup(request: Request) -> Response:
    form = await forms.read_form(request)
    registration = _registration(form)
    token = request.path_params["token"]
    try:
        user = await services_of(request).accounts.setup_admin(token, registration)
    except NotFound:
        raise
    except DomainError as exc:
        return await page(
            request,
            "setup.html",
            exc.status,
            error=exc.message,
            form=registration,
            token=request.path_params["token"],
        )
    response = redirect(request, "/admin/instance", "Your admin account is ready.")
    await start_session(request, response, user)
    return response


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/register", register_form, methods=["GET"]),
    Route("/register", register, methods=["POST"]),
    Route("/setup/{token}", setup_form, methods=["GET"]),
    Route("/setup/{token}", setup, methods=["POST"]),
]

"""Sign-up, log-in, log-out, and the one-time link that creates the first admin."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.instance import instance
from bocage.kernel.errors import DomainError, NotFound
from bocage.store.models import User
from bocage.web import forms
from bocage.web.auth import client_host, current_viewer, end_session, node_of, start_session
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
    node = node_of(request)
    try:
        user = await node.logins.log_in(node.db, client_host(request), login_name, password)
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


async def _checked_secrets(
    registration: accounts.Registration, sign_up_from: Request | None = None
) -> accounts.AccountSecrets:
    """Validate first (cheap), count a sign-up from the request's address if it is one, then
    make keys and the password hash (slow) off the loop."""
    accounts.validate_registration(registration)
    if sign_up_from is not None:
        node_of(sign_up_from).sign_ups.begin(client_host(sign_up_from))
    return await asyncio.to_thread(accounts.make_secrets, registration.password)


async def register_form(request: Request) -> Response:
    return await page(request, "register.html", invite=request.query_params.get("invite", ""))


async def register(request: Request) -> Response:
    form = await forms.read_form(request)
    node = node_of(request)
    registration = _registration(
        form,
        reason=forms.text(form, "reason", max_length=1000),
        invite_code=forms.text(form, "invite", max_length=64).strip() or None,
        agreed_to_rules=forms.flag(form, "agree"),
    )
    try:
        secrets = await _checked_secrets(registration, sign_up_from=request)
        user = await node.db.write(accounts.register, node.ctx, registration, secrets)
    except DomainError as exc:
        return await refusal(
            request, "register.html", exc, form=registration, invite=registration.invite_code or ""
        )
    if not user.approved:
        return await page(request, "registered.html", username=registration.username)
    response = redirect(request, "/home", f"Welcome, @{registration.username}!")
    await start_session(request, response, user)
    return response


async def setup_form(request: Request) -> Response:
    node = node_of(request)
    if not await node.db.read(instance.setup_token_valid, request.path_params["token"]):
        raise NotFound("This setup link has already been used or is not valid.")
    return await page(request, "setup.html", token=request.path_params["token"])


async def setup(request: Request) -> Response:
    form = await forms.read_form(request)
    node = node_of(request)
    registration = _registration(form)
    token = request.path_params["token"]

    def create_admin(session: Session, secrets: accounts.AccountSecrets) -> User:
        if not instance.consume_setup_token(session, token):
            raise NotFound("This setup link has already been used or is not valid.")
        return accounts.register(
            session, node.ctx, registration, secrets, admin=True, bypass_mode=True
        )

    try:
        secrets = await _checked_secrets(registration)
        user = await node.db.write(create_admin, secrets)
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

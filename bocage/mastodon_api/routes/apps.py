"""Client applications and OAuth 2: `/api/v1/apps`, `/oauth/token`, `/oauth/revoke`,
`/oauth/authorize` (the node's own login and consent page) and the server metadata."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.core.auth import oauth
from bocage.kernel.errors import Forbidden, NotAuthenticated, RateLimited
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, require
from bocage.mastodon_api.http import json, node_of, params, text_param
from bocage.web import forms
from bocage.web.auth import client_host, require_viewer
from bocage.web.render import page


async def create_app(request: Request) -> Response:
    values = await params(request)
    uris = values.get("redirect_uris") or oauth.OOB
    uri_list = uris if isinstance(uris, list) else str(uris).split()
    app = await node_of(request).db.write(
        oauth.register_app,
        text_param(values, "client_name"),
        [str(uri) for uri in uri_list],
        text_param(values, "scopes") or None,
        text_param(values, "website") or None,
    )
    return json(entities.application(app, with_secret=True))


async def verify_app(request: Request) -> Response:
    grant = await require(request, "read")
    return json(entities.application(grant.app, with_secret=False))


async def token(request: Request) -> Response:
    values = await params(request)
    grant_type = text_param(values, "grant_type")
    try:
        if grant_type == "password":
            issued = await _password_grant(request, values)
        else:
            issued = await node_of(request).db.write(_grant, grant_type, values)
    except oauth.OAuthError as refused:
        return json({"error": refused.code, "error_description": refused.message}, refused.status)
    except RateLimited as refused:
        return json(
            {"error": "too_many_attempts", "error_description": refused.message},
            refused.status,
            headers={"retry-after": refused.retry_after_header},
        )
    token_value, row = issued
    return json(
        {
            "access_token": token_value,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": int(row.created_at.timestamp()),
        }
    )


def _grant(session: Session, grant_type: str, values: dict[str, Any]) -> tuple[str, Any]:
    app = oauth.authenticate_client(
        session, text_param(values, "client_id"), text_param(values, "client_secret")
    )
    scope = text_param(values, "scope") or None
    match grant_type:
        case "authorization_code":
            return oauth.exchange_code(
                session,
                app,
                text_param(values, "code"),
                text_param(values, "redirect_uri"),
                text_param(values, "code_verifier") or None,
            )
        case "client_credentials":
            return oauth.client_credentials(session, app, scope)
        case _:
            raise oauth.OAuthError("unsupported_grant_type", f"Unknown grant_type {grant_type!r}.")


async def _password_grant(request: Request, values: dict[str, Any]) -> tuple[str, Any]:
    """The person's username or e-mail address and password, checked as on the web log-in
    form (same limits, same timing), then a token."""
    node = node_of(request)
    app = await node.db.read(
        oauth.password_grant_app,
        text_param(values, "client_id"),
        text_param(values, "client_secret"),
    )
    login, password = text_param(values, "username"), text_param(values, "password")
    try:
        user = await node.logins.log_in(node.db, client_host(request), login, password)
    except (NotAuthenticated, Forbidden) as refused:
        raise oauth.OAuthError("invalid_grant", refused.message) from refused
    return await node.db.write(oauth.password_grant, app, user, text_param(values, "scope") or None)


async def revoke(request: Request) -> Response:
    values = await params(request)
    try:
        await node_of(request).db.write(_revoke, values)
    except oauth.OAuthError as refused:
        return json({"error": refused.code, "error_description": refused.message}, refused.status)
    return json({})


def _revoke(session: Session, values: dict[str, Any]) -> None:
    app = oauth.authenticate_client(
        session, text_param(values, "client_id"), text_param(values, "client_secret")
    )
    oauth.revoke(session, app, text_param(values, "token"))


async def authorize_form(request: Request) -> Response:
    """The consent page: the person (logged in on the web face) approves the app."""
    viewer = await require_viewer(request)
    query = request.query_params
    app, scopes = await _checked_request(request, dict(query))
    return await page(
        request,
        "oauth_authorize.html",
        app=app,
        scopes=sorted(scopes),
        viewer_account=viewer.account,
        fields={k: query.get(k, "") for k in _AUTHORIZE_FIELDS},
    )


_AUTHORIZE_FIELDS = (
    "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
)  # fmt: skip


async def authorize(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    values = {k: forms.text(form, k, max_length=2000) for k in _AUTHORIZE_FIELDS}
    app, scopes = await _checked_request(request, values)
    redirect_uri, state = values["redirect_uri"], values["state"]
    if forms.text(form, "decision") != "approve":
        return _back_to_app(redirect_uri, {"error": "access_denied", "state": state})
    code = await node_of(request).db.write(
        lambda session: oauth.issue_code(
            session,
            app,
            viewer.user,
            redirect_uri,
            scopes,
            values["code_challenge"] or None,
            values["code_challenge_method"] or None,
        )
    )
    if redirect_uri == oauth.OOB:
        return await page(request, "oauth_code.html", code=code, app=app)
    return _back_to_app(redirect_uri, {"code": code, "state": state})


async def _checked_request(request: Request, values: dict[str, Any]) -> tuple[Any, frozenset[str]]:
    if values.get("response_type", "code") != "code":
        raise ApiError("Only response_type=code is supported.", 400)

    def check(session: Session) -> tuple[Any, frozenset[str]]:
        app = oauth.app_by_client_id(session, values.get("client_id"))
        redirect_uri = values.get("redirect_uri") or app.redirect_uris[0]
        values["redirect_uri"] = redirect_uri
        return app, oauth.check_request(app, redirect_uri, values.get("scope") or None)

    return await node_of(request).db.read(check)


def _back_to_app(redirect_uri: str, answer: dict[str, str]) -> Response:
    query = urlencode({k: v for k, v in answer.items() if v})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{query}", status_code=303)


async def server_metadata(request: Request) -> Response:
    """RFC 8414, as Mastodon 4.3 publishes it."""
    base = node_of(request).ctx.urls.base
    return json(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": sorted(oauth.KNOWN_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "password", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "app_registration_endpoint": f"{base}/api/v1/apps",
        }
    )


routes = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/oauth/authorize", authorize_form, methods=["GET"]),
    Route("/oauth/authorize", authorize, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
]

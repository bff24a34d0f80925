"""`/oauth/authorize`: the node's own login and consent page, where a person logged in on the
web approves a client app (OAuth 2 authorization code, with PKCE). A web page, served by the
web face; the codes and tokens are `AuthService`'s, as for `/oauth/token` (mastodon_api)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bocage.core.auth import oauth
from bocage.kernel.errors import DomainError
from bocage.services.auth import AuthorizationRequest
from bocage.web import forms
from bocage.web.auth import require_viewer, services_of
from bocage.web.render import page

FIELDS = (
    "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
)  # fmt: skip


class BadRequest(DomainError):
    status = 400


async def authorize_form(request: Request) -> Response:
    """The consent page: the person (logged in on the web face) approves the app."""
    viewer = await require_viewer(request)
    query = request.query_params
    asked = await _checked_request(request, dict(query))
    return await page(
        request,
        "oauth_authorize.html",
        app=asked.app,
        scopes=sorted(asked.scopes),
        viewer_account=viewer.account,
        fields={k: query.get(k, "") for k in FIELDS},
    )


async def authorize(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await forms.read_form(request)
    values = {k: forms.text(form, k, max_length=2000) for k in FIELDS}
    asked = await _checked_request(request, values)
    state = values["state"]
    if forms.text(form, "decision") != "approve":
        return _back_to_app(asked.redirect_uri, {"error": "access_denied", "state": state})
    code = await services_of(request).auth.issue_code(
        asked,
        viewer.user,
        values["code_challenge"] or None,
        values["code_challenge_method"] or None,
    )
    if asked.redirect_uri == oauth.OOB:
        return await page(request, "oauth_code.html", code=code, app=asked.app)
    return _back_to_app(asked.redirect_uri, {"code": code, "state": state})


async def _checked_request(request: Request, values: dict[str, Any]) -> AuthorizationRequest:
    if values.get("response_type", "code") != "code":
        raise BadRequest("Only response_type=code is supported.")
    return await services_of(request).auth.authorization_request(
        values.get("client_id"), values.get("redirect_uri") or None, values.get("scope") or None
    )


def _back_to_app(redirect_uri: str, answer: dict[str, str]) -> Response:
    query = urlencode({k: v for k, v in answer.items() if v})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{query}", status_code=303)


routes = [
    Route("/oauth/authorize", authorize_form, methods=["GET"]),
    Route("/oauth/authorize", authorize, methods=["POST"]),
]

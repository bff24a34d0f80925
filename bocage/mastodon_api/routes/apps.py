"""Client applications and OAuth 2: `/api/v1/apps`, `/oauth/token`, `/oauth/revoke` and the
server metadata. (`/oauth/authorize`, the node's own login and consent page, is a web page:
web/routes/oauth.py.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.auth import oauth
from bocage.edge import client_host
from bocage.kernel.errors import RateLimited
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import ApiError, grant_of, require_user
from bocage.mastodon_api.http import json, params, services_of, text_param


async def create_app(request: Request) -> Response:
    values = await params(request)
    uris = values.get("redirect_uris") or oauth.OOB
    uri_list = uris if isinstance(uris, list) else str(uris).split()
    app = await services_of(request).auth.register_app(
        text_param(values, "client_name"),
        [str(uri) for uri in uri_list],
        text_param(values, "scopes") or None,
        text_param(values, "website") or None,
    )
    vapid_key = await services_of(request).push.server_key()
    return json(entities.application(app, with_secret=True, vapid_key=vapid_key))


async def verify_app(request: Request) -> Response:
    """The app a token belongs to, for any valid token whatever its scopes (Mastodon 4.3:
    a `profile`-only token too), with its `scopes` and `redirect_uris`."""
    grant = await grant_of(request)
    if grant is None:
        raise ApiError("The access token is invalid", 401)
    vapid_key = await services_of(request).push.server_key()
    return json(entities.application(grant.app, with_secret=False, vapid_key=vapid_key))


async def userinfo(request: Request) -> Response:
    """OpenID Connect's userinfo (Mastodon 4.4), for a token with the `profile` scope."""
    _grant, caller = await require_user(request, "profile")
    services = services_of(request)
    shown = entities.account(services.ctx, caller)
    return json(
        {
            "iss": f"{services.ctx.urls.base}/",
            "sub": caller.uri,
            "name": caller.display_name,
            "preferred_username": caller.username,
            "profile": shown["url"],
            "picture": shown["avatar"],
        }
    )


async def token(request: Request) -> Response:
    values = await params(request)
    grant_type = text_param(values, "grant_type")
    auth = services_of(request).auth
    client_id, secret = text_param(values, "client_id"), text_param(values, "client_secret")
    scopes = text_param(values, "scope") or None
    try:
        if grant_type == "password":
            # The person's username or e-mail address and password, checked as on the web
            # log-in form (same limits, same timing), then a token.
            issued = await auth.password_grant(
                client_id,
                secret,
                client_host(request),
                text_param(values, "username"),
                text_param(values, "password"),
                scopes,
            )
        elif grant_type == "authorization_code":
            issued = await auth.token(
                grant_type,
                client_id,
                secret,
                code=text_param(values, "code"),
                redirect_uri=text_param(values, "redirect_uri"),
                verifier=text_param(values, "code_verifier") or None,
            )
        else:  # client_credentials, or refused after the client is authenticated
            issued = await auth.token(grant_type, client_id, secret, scopes=scopes)
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


async def revoke(request: Request) -> Response:
    values = await params(request)
    try:
        await services_of(request).auth.revoke(
            text_param(values, "client_id"),
            text_param(values, "client_secret"),
            text_param(values, "token"),
        )
    except oauth.OAuthError as refused:
        return json({"error": refused.code, "error_description": refused.message}, refused.status)
    return json({})


async def server_metadata(request: Request) -> Response:
    """RFC 8414, as Mastodon 4.3 publishes it."""
    base = services_of(request).ctx.urls.base
    return json(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
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
    Route("/oauth/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
]

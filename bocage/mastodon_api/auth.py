"""Bearer tokens: who is calling, and whether the token's scopes allow what is asked."""

from __future__ import annotations

from starlette.requests import Request

from bocage.core import oauth
from bocage.core.errors import DomainError
from bocage.mastodon_api.http import node_of
from bocage.store.models import Account


class ApiError(DomainError):
    """An API refusal with Mastodon's status and message."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def grant_of(request: Request) -> oauth.Grant | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    grant = await node_of(request).db.read(oauth.grant_for, token.strip())
    if grant is None:
        raise ApiError("The access token is invalid", 401)
    return grant


async def require(request: Request, scope: str) -> oauth.Grant:
    """A token with `scope` (any, for an app-level token), or the 401/403 Mastodon gives."""
    grant = await grant_of(request)
    if grant is None:
        raise ApiError("The access token is invalid", 401)
    if not grant.allows(scope):
        raise ApiError("This action is outside the authorized scopes", 403)
    return grant


async def optional(request: Request, scope: str) -> oauth.Grant | None:
    """For what anyone may read: no token is fine, but a token given must allow `scope`
    (Mastodon's `authorize_if_got_token!`)."""
    grant = await grant_of(request)
    if grant is not None and not grant.allows(scope):
        raise ApiError("This action is outside the authorized scopes", 403)
    return grant


async def require_user(request: Request, scope: str) -> tuple[oauth.Grant, Account]:
    grant = await require(request, scope)
    if grant.account is None:
        raise ApiError("This method requires an authenticated user", 422)
    return grant, grant.account

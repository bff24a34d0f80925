"""Bearer tokens: who is calling, and whether the token's scopes allow what is asked.

Every API request starts by resolving its token: a database read, on a thread, with its own
transaction. Resolved tokens are kept for half a minute (`GrantCache`), and forgotten at once when
a token is revoked or its account suspended or moved (events from any process, kernel/events.py).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from starlette.requests import Request

from bocage.core.auth import oauth
from bocage.kernel.errors import DomainError
from bocage.kernel.events import Event
from bocage.store.models import Account

GRANT_SECONDS = 30.0
# After these, an account's kept grants are read again (a suspended account is refused, a
# moved one may no longer post).
ACCOUNT_CHANGES = ("account.suspended", "account.moved")
MAX_GRANTS = 10_000


class GrantCache:
    def __init__(self) -> None:
        self._grants: dict[bytes, tuple[float, oauth.Grant]] = {}

    def get(self, token: str) -> oauth.Grant | None:
        found = self._grants.get(_key(token))
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token: str, grant: oauth.Grant) -> None:
        if len(self._grants) >= MAX_GRANTS:
            self._grants.clear()  # bounded memory beats a perfect hit rate
        self._grants[_key(token)] = (time.monotonic() + GRANT_SECONDS, grant)

    def on_events(self, events: list[Event]) -> None:
        revoked = {e.data["token_id"] for e in events if e.kind == "token.revoked"}
        suspended = {e.data["account_id"] for e in events if e.kind in ACCOUNT_CHANGES}
        if not revoked and not suspended:
            return
        for key, (_until, grant) in list(self._grants.items()):
            account_id = grant.account.id if grant.account is not None else None
            if grant.token.id in revoked or account_id in suspended:
                del self._grants[key]


def _key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


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
    grant = await resolve_token(request.app.state, token.strip())
    if grant is None:
        raise ApiError("The access token is invalid", 401)
    return grant


async def resolve_token(state: Any, token: str) -> oauth.Grant | None:
    """What a bearer token grants (None: no such token), kept for half a minute in the
    app's `GrantCache`: the rate limiter and the routes resolve it once between them."""
    grants: GrantCache = state.grants
    grant = grants.get(token)
    if grant is None:
        grant = await state.services.auth.grant(token)
        if grant is not None:
            grants.put(token, grant)
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

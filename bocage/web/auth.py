"""Who is asking: web sessions in signed, HttpOnly, SameSite cookies backed by a DB row.

The cookie holds a random token (signed with the node's secret); the database holds only its
hash, so logging out, suspension or a password change can end a session server-side.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bocage.core.clock import now
from bocage.core.errors import Forbidden, NotAuthenticated
from bocage.node import Node
from bocage.services import Services
from bocage.store.models import Account, User, WebSession

SESSION_COOKIE = "bocage_session"
SESSION_DAYS = 30


@dataclass(frozen=True)
class Viewer:
    user: User
    account: Account

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def node_of(request: Request) -> Node:
    return request.app.state.node


def services_of(request: Request) -> Services:
    """The node's services, which every page works through."""
    return request.app.state.services  # type: ignore[no-any-return]


def client_host(request: Request) -> str | None:
    """The address the request came from, which limits count by: the connection's, or the
    client's as a trusted reverse proxy forwarded it (setting `trusted_proxies`)."""
    return request.client.host if request.client else None


def _serializer(node: Node) -> URLSafeSerializer:
    return URLSafeSerializer(node.settings.secret_key, salt="web-session")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def current_viewer(request: Request) -> Viewer | None:
    if "viewer" in request.state._state:
        return request.state.viewer
    request.state.viewer = await _load_viewer(request)
    return request.state.viewer


async def _load_viewer(request: Request) -> Viewer | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    node = node_of(request)
    try:
        token = _serializer(node).loads(cookie)
    except BadSignature:
        return None
    row = await node.db.read(_user_by_token_hash, _hash(str(token)))
    if row is None:
        return None
    user, account = row
    if account.suspended or not user.approved:
        return None
    return Viewer(user, account)


def _user_by_token_hash(session: Session, token_hash: str) -> tuple[User, Account] | None:
    row = session.execute(
        select(User, Account)
        .join(WebSession, WebSession.user_id == User.id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


async def require_viewer(request: Request) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        raise NotAuthenticated("Please log in first.")
    return viewer


async def require_admin(request: Request) -> Viewer:
    viewer = await require_viewer(request)
    if not viewer.is_admin:
        raise Forbidden("Only admins can do that.")
    return viewer


async def start_session(request: Request, response: Response, user: User) -> None:
    node = node_of(request)
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now(),
        last_seen_at=now(),
        user_agent=request.headers.get("user-agent", "")[:300],
    )
    await node.db.write(lambda session: session.add(row))
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(node).dumps(token),
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=node.settings.base_url.startswith("https"),
        path="/",
    )


async def end_session(request: Request, response: Response) -> None:
    node = node_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            token_hash = _hash(str(_serializer(node).loads(cookie)))
            await node.db.write(
                lambda session: session.execute(
                    delete(WebSession).where(WebSession.token_hash == token_hash)
                )
            )
        except BadSignature:
            pass
    response.delete_cookie(SESSION_COOKIE, path="/")

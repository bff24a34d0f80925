"""Who is asking: web sessions in signed, HttpOnly, SameSite cookies backed by a DB row.

The cookie holds a random token (signed with the node's secret); the database holds only its
hash (services/auth.py), so logging out, suspension or a password change can end a session
server-side.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from bocage.federation.responses import services_of
from bocage.kernel.errors import Forbidden, NotAuthenticated
from bocage.store.models import Account, User

SESSION_COOKIE = "bocage_session"
SESSION_DAYS = 30


@dataclass(frozen=True)
class Viewer:
    user: User
    account: Account

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(services_of(request).ctx.settings.secret_key, salt="web-session")


async def current_viewer(request: Request) -> Viewer | None:
    if "viewer" in request.state._state:
        return request.state.viewer
    request.state.viewer = await _load_viewer(request)
    return request.state.viewer


async def _load_viewer(request: Request) -> Viewer | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        token = _serializer(request).loads(cookie)
    except BadSignature:
        return None
    row = await services_of(request).auth.session_viewer(str(token))
    if row is None:
        return None
    user, account = row
    if account.suspended or not user.approved:
        return None
    return Viewer(user, account)


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
    services = services_of(request)
    token = await services.auth.start_session(user, request.headers.get("user-agent", ""))
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(request).dumps(token),
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=services.ctx.settings.base_url.startswith("https"),
        path="/",
    )


async def end_session(request: Request, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            token = str(_serializer(request).loads(cookie))
        except BadSignature:
            pass
        else:
            await services_of(request).auth.end_session(token)
    response.delete_cookie(SESSION_COOKIE, path="/")

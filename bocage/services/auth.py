"""Who is asking, and what they may do: logging in with a password (under the login limits,
core/auth/logins.py), web sessions (the cookie's token; only its hash is stored), client apps
and OAuth 2 (codes, tokens, the password grant, revoking), and the grant a bearer token
carries."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bocage.core.auth import oauth
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Forbidden, NotAuthenticated
from bocage.services.ports import Logins
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, OAuthApp, OAuthToken, User, WebSession

Issued = tuple[str, OAuthToken]  # the token (shown once) and its row


@dataclass(frozen=True)
class AuthorizationRequest:
    """An app's request for a person's consent, checked: the app, the redirect URI it gets
    (its first registered one when none was given) and the scopes it may be granted."""

    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]


class AuthService(Service):
    def __init__(self, db: Database, ctx: Context, logins: Logins) -> None:
        super().__init__(db, ctx)
        self._logins = logins

    async def log_in(self, host: str | None, login: str, password: str) -> User:
        """The user `login` (username or e-mail) names, if `password` is theirs (see
        core/auth/logins.py for the limits and the refusals)."""
        return await self._logins.log_in(self._db, host, login, password)

    # --- web sessions -------------------------------------------------------------------

    def session_viewer(self, token: str) -> Query[tuple[User, Account] | None]:
        """The user and account a web session's token belongs to (None if it is unknown)."""
        return self._query(lambda session: _user_by_token_hash(session, _hash(token)))

    async def start_session(self, user: User, user_agent: str) -> str:
        """A new web session for `user`: its token, for the cookie."""
        token = secrets.token_urlsafe(32)
        row = WebSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now(),
            last_seen_at=now(),
            user_agent=user_agent[:300],
        )
        await self._db.write(_add, row)
        return token

    async def end_session(self, token: str) -> None:
        await self._db.write(_end_session, _hash(token))

    # --- apps and tokens ------------------------------------------------------------------

    def grant(self, token: str) -> Query[oauth.Grant | None]:
        """What a bearer token allows (None if it is unknown or revoked)."""
        return self._query(lambda session: oauth.grant_for(session, token))

    async def register_app(
        self, name: str, redirect_uris: list[str], scopes: str | None, website: str | None
    ) -> OAuthApp:
        return await self._db.write(oauth.register_app, name, redirect_uris, scopes, website)

    async def token(
        self,
        grant_type: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: str | None = None,
        code: str = "",
        redirect_uri: str = "",
        verifier: str | None = None,
    ) -> Issued:
        """A token for an `authorization_code` or `client_credentials` grant (the client is
        authenticated first, whatever the grant); `password_grant` for the password one."""
        return await self._db.write(
            _token, grant_type, client_id, client_secret, scopes, code, redirect_uri, verifier
        )

    async def password_grant(
        self,
        client_id: str,
        client_secret: str,
        host: str | None,
        login: str,
        password: str,
        scopes: str | None,
    ) -> Issued:
        """A token for a person's username (or e-mail) and password, checked as on the web
        log-in form (same limits, same timing); the app and the grant's switch first, so
        that a switched-off grant checks no password."""
        app = await self._db.read(oauth.password_grant_app, client_id, client_secret)
        try:
            user = await self.log_in(host, login, password)
        except (NotAuthenticated, Forbidden) as refused:
            raise oauth.OAuthError("invalid_grant", refused.message) from refused
        return await self._db.write(oauth.password_grant, app, user, scopes)

    async def revoke(self, client_id: str, client_secret: str, token: str) -> None:
        await self._db.write(_revoke, client_id, client_secret, token)

    def authorization_request(
        self, client_id: str | None, redirect_uri: str | None, scopes: str | None
    ) -> Query[AuthorizationRequest]:
        def load(session: Session) -> AuthorizationRequest:
            app = oauth.app_by_client_id(session, client_id)
            uri = redirect_uri or app.redirect_uris[0]
            return AuthorizationRequest(app, uri, oauth.check_request(app, uri, scopes))

        return self._query(load)

    async def issue_code(
        self,
        request: AuthorizationRequest,
        user: User,
        code_challenge: str | None,
        challenge_method: str | None,
    ) -> str:
        """After the person approved: a code the app exchanges for a token."""
        return await self._db.write(
            oauth.issue_code,
            request.app,
            user,
            request.redirect_uri,
            request.scopes,
            code_challenge,
            challenge_method,
        )

    def authorized_apps(self, user: User) -> Query[list[tuple[OAuthToken, OAuthApp]]]:
        return self._query(lambda session: oauth.authorized_apps(session, user.id))

    async def revoke_for_user(self, user: User, token_id: int) -> None:
        await self._db.write(oauth.revoke_for_user, user.id, token_id)

    def password_grant_enabled(self) -> Query[bool]:
        return self._query(oauth.password_grant_enabled)

    async def set_password_grant(self, enabled: bool) -> None:
        await self._db.write(oauth.set_password_grant, enabled)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _add(session: Session, row: WebSession) -> None:
    session.add(row)


def _end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def _user_by_token_hash(session: Session, token_hash: str) -> tuple[User, Account] | None:
    row = session.execute(
        select(User, Account)
        .join(WebSession, WebSession.user_id == User.id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


def _token(
    session: Session,
    grant_type: str,
    client_id: str,
    client_secret: str,
    scopes: str | None,
    code: str,
    redirect_uri: str,
    verifier: str | None,
) -> Issued:
    app = oauth.authenticate_client(session, client_id, client_secret)
    match grant_type:
        case "authorization_code":
            return oauth.exchange_code(session, app, code, redirect_uri, verifier)
        case "client_credentials":
            return oauth.client_credentials(session, app, scopes)
        case _:
            raise oauth.OAuthError("unsupported_grant_type", f"Unknown grant_type {grant_type!r}.")


def _revoke(session: Session, client_id: str, client_secret: str, token: str) -> None:
    app = oauth.authenticate_client(session, client_id, client_secret)
    oauth.revoke(session, app, token)

"""OAuth 2 for client applications, as Mastodon does it (RFC 6749, with PKCE from RFC 7636).

Apps register themselves (`register_app`), then obtain tokens in one of three ways:
- authorization code: the person logs in on this node's own pages and approves the app;
  the code is single use, expires in 10 minutes, is bound to the redirect URI and, when the
  app sent a challenge, to its PKCE verifier (S256 only, as on Mastodon);
- password: the app sends the person's e-mail address and password (toot, Mastodon.py),
  checked under the same limits as the web log-in (`core/auth/logins.py`); the admin can switch
  this grant off;
- client credentials: a token for the app itself, with no account.
Codes and tokens are stored as SHA-256 hashes: a leaked database holds no usable token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import Delete, delete, select
from sqlalchemy.orm import Session

from bocage.core.instance import instance
from bocage.crypto.compare import same_secret
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.errors import DomainError, InvalidInput
from bocage.kernel.ids import new_id
from bocage.store.models import (
    Account,
    AccountModeration,
    IdempotencyKey,
    OAuthApp,
    OAuthCode,
    OAuthToken,
    User,
)

OOB = "urn:ietf:wg:oauth:2.0:oob"  # "show me the code" instead of redirecting
CODE_LIFETIME = timedelta(minutes=10)
IDEMPOTENCY_LIFETIME = timedelta(days=1)
PASSWORD_GRANT_SETTING = "oauth_password_grant"
TOP_SCOPES = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
GRANULAR = {
    "read": (
        "accounts", "blocks", "bookmarks", "collections", "favourites", "filters", "follows",
        "lists", "mutes", "notifications", "search", "statuses",
    ),
    "write": (
        "accounts", "blocks", "bookmarks", "collections", "conversations", "favourites",
        "filters", "follows", "lists", "media", "mutes", "notifications", "reports", "statuses",
    ),
    "admin:read": (
        "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
        "email_domain_blocks", "canonical_email_blocks",
    ),
    "admin:write": (
        "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
        "email_domain_blocks", "canonical_email_blocks",
    ),
}  # fmt: skip
KNOWN_SCOPES = frozenset(
    [*TOP_SCOPES, *(f"{top}:{part}" for top, parts in GRANULAR.items() for part in parts)]
)
# The legacy `follow` scope stands for these (Mastodon's definition).
FOLLOW_COVERS = frozenset(
    ["read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"]
)


class OAuthError(DomainError):
    """An OAuth failure with its RFC 6749 error code (`invalid_client`, `invalid_grant`…)."""

    status = 400

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Grant:
    """What a valid access token lets its bearer do, and as whom."""

    token: OAuthToken
    app: OAuthApp
    user: User | None
    account: Account | None
    scopes: frozenset[str]

    def allows(self, needed: str) -> bool:
        return scopes_allow(self.scopes, needed)


def scopes_allow(scopes: frozenset[str], needed: str) -> bool:
    """Do `scopes` carry `needed` (e.g. "read:statuses"), directly or by a wider scope?"""
    # "read:statuses" is within "read"; "admin:read:accounts" within "admin:read".
    top = (
        ":".join(needed.split(":", 2)[:2])
        if needed.startswith("admin:")
        else needed.split(":", 1)[0]
    )
    if needed in scopes or top in scopes:
        return True
    return "follow" in scopes and needed in FOLLOW_COVERS


def parse_scopes(value: str | None, default: str = "read") -> frozenset[str]:
    scopes = frozenset((value or default).replace("+", " ").split())
    unknown = sorted(scopes - KNOWN_SCOPES)
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope: {', '.join(unknown)}.")
    return scopes or frozenset(["read"])


def register_app(
    session: Session, name: str, redirect_uris: list[str], scopes: str | None, website: str | None
) -> OAuthApp:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("client_name must be 1 to 200 characters long.")
    uris = [uri.strip() for uri in redirect_uris if uri.strip()] or [OOB]
    for uri in uris:
        if uri != OOB and not urlsplit(uri).scheme:
            raise InvalidInput(f"redirect_uris: {uri[:100]!r} is not an absolute URI.")
    app = OAuthApp(
        id=new_id(),
        name=name,
        website=(website or "").strip()[:500] or None,
        redirect_uris=uris,
        scopes=" ".join(sorted(parse_scopes(scopes))),
        client_id=secrets.token_urlsafe(32),
        client_secret=secrets.token_urlsafe(32),
        created_at=now(),
    )
    session.add(app)
    return app


def app_by_client_id(session: Session, client_id: str | None) -> OAuthApp:
    app = session.execute(
        select(OAuthApp).where(OAuthApp.client_id == (client_id or ""))
    ).scalar_one_or_none()
    if app is None:
        raise OAuthError("invalid_client", "Client authentication failed: unknown client.", 401)
    return app


def authenticate_client(session: Session, client_id: str | None, secret: str | None) -> OAuthApp:
    app = app_by_client_id(session, client_id)
    if not same_secret(secret or "", app.client_secret):
        raise OAuthError("invalid_client", "Client authentication failed: wrong secret.", 401)
    return app


def check_request(app: OAuthApp, redirect_uri: str, scopes: str | None) -> frozenset[str]:
    """The scopes an authorization request may be granted (refused if it asks too much)."""
    if redirect_uri not in app.redirect_uris:
        raise OAuthError("invalid_request", "The redirect URI is not one the app registered.")
    return _within_app(app, parse_scopes(scopes, app.scopes))


def issue_code(
    session: Session,
    app: OAuthApp,
    user: User,
    redirect_uri: str,
    scopes: frozenset[str],
    code_challenge: str | None,
    challenge_method: str | None,
) -> str:
    """After the person approved: a code to exchange for a token."""
    if code_challenge and (challenge_method or "plain") != "S256":
        raise OAuthError("invalid_request", "Only the S256 code challenge method is supported.")
    code = secrets.token_urlsafe(32)
    session.add(
        OAuthCode(
            code_hash=_hash(code),
            app_id=app.id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            scopes=" ".join(sorted(scopes)),
            code_challenge=code_challenge or None,
            expires_at=now() + CODE_LIFETIME,
        )
    )
    return code


def exchange_code(
    session: Session, app: OAuthApp, code: str, redirect_uri: str, verifier: str | None
) -> tuple[str, OAuthToken]:
    row = session.get(OAuthCode, _hash(code or ""))
    if row is None or row.app_id != app.id or row.expires_at < now():
        raise OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
    session.delete(row)  # single use, whatever happens next
    if row.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "The redirect URI does not match the authorization.")
    if row.code_challenge is not None and not _pkce_matches(row.code_challenge, verifier):
        raise OAuthError("invalid_grant", "The code verifier does not match the challenge.")
    return _issue(session, app, row.user_id, frozenset(row.scopes.split()))


def password_grant_app(session: Session, client_id: str | None, secret: str | None) -> OAuthApp:
    """The app asking for a password grant, if the grant is on: checked before the password
    (`core/auth/logins.py`), so that a switched-off grant checks no password."""
    app = authenticate_client(session, client_id, secret)
    if not password_grant_enabled(session):
        raise OAuthError("unsupported_grant_type", "The password grant is switched off here.")
    return app


def password_grant(
    session: Session, app: OAuthApp, user: User, scopes: str | None
) -> tuple[str, OAuthToken]:
    """A token for `user`, whose password `logins.Logins.log_in` checked."""
    granted = _within_app(app, parse_scopes(scopes, app.scopes))
    return _issue(session, app, user.id, granted)


def token_for_new_user(session: Session, app: OAuthApp, user: User) -> tuple[str, OAuthToken]:
    """The token `POST /api/v1/accounts` answers with: the new person's, for the app that
    signed them up, with the app's scopes."""
    return _issue(session, app, user.id, frozenset(app.scopes.split()))


def client_credentials(
    session: Session, app: OAuthApp, scopes: str | None
) -> tuple[str, OAuthToken]:
    return _issue(session, app, None, _within_app(app, parse_scopes(scopes, "read")))


def revoke(session: Session, app: OAuthApp, token: str) -> None:
    """RFC 7009: revoking an unknown token is not an error."""
    _revoke(
        session,
        delete(OAuthToken).where(
            OAuthToken.token_hash == _hash(token), OAuthToken.app_id == app.id
        ),
    )


def _revoke(session: Session, statement: Delete) -> None:
    """Deletes tokens; their open streams end (the streaming hub hears `token.revoked`)."""
    for token_id in session.execute(statement.returning(OAuthToken.id)).scalars():
        events.emit(session, "token.revoked", token_id=token_id)


def authorized_apps(session: Session, user_id: int) -> list[tuple[OAuthToken, OAuthApp]]:
    """The tokens a person gave apps, newest first (for Settings → Authorized apps)."""
    rows = session.execute(
        select(OAuthToken, OAuthApp)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(OAuthToken.user_id == user_id)
        .order_by(OAuthToken.created_at.desc())
    )
    return [(token, app) for token, app in rows.all()]


def revoke_for_user(session: Session, user_id: int, token_id: int) -> None:
    _revoke(
        session, delete(OAuthToken).where(OAuthToken.id == token_id, OAuthToken.user_id == user_id)
    )


def set_password_grant(session: Session, enabled: bool) -> None:
    instance.put_setting(session, PASSWORD_GRANT_SETTING, enabled)


def grant_for(session: Session, token: str) -> Grant | None:
    """What a bearer token allows, or None if it is unknown or revoked."""
    # One query: every API request starts here.
    found = session.execute(
        select(OAuthToken, OAuthApp, User, Account, AccountModeration.disabled)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .outerjoin(User, User.id == OAuthToken.user_id)
        .outerjoin(Account, Account.id == User.account_id)
        .outerjoin(AccountModeration, AccountModeration.account_id == Account.id)
        .where(OAuthToken.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    row, app, user, account, disabled = found
    if row.user_id and (account is None or account.suspended or disabled):
        return None  # suspended, or its log-in disabled by a moderator
    if user is not None and not user.approved:
        return None  # a sign-up waiting for an admin: its token works once approved
    return Grant(row, app, user, account, frozenset(row.scopes.split()))


def remembered_post(session: Session, token_id: int, key: str) -> int | None:
    """The post a token already created with this `Idempotency-Key` (keys live a day)."""
    row = session.get(IdempotencyKey, (token_id, key[:200]))
    if row is None or row.created_at < now() - IDEMPOTENCY_LIFETIME:
        return None
    return row.post_id


def remember_post(session: Session, token_id: int, key: str, post_id: int) -> None:
    session.merge(
        IdempotencyKey(token_id=token_id, key=key[:200], post_id=post_id, created_at=now())
    )


def password_grant_enabled(session: Session) -> bool:
    return instance.setting(session, PASSWORD_GRANT_SETTING, True) is not False


def _within_app(app: OAuthApp, asked: frozenset[str]) -> frozenset[str]:
    registered = frozenset(app.scopes.split())
    refused = sorted(scope for scope in asked if not scopes_allow(registered, scope))
    if refused:
        raise OAuthError("invalid_scope", f"The app was not registered for: {', '.join(refused)}.")
    return asked


def _issue(
    session: Session, app: OAuthApp, user_id: int | None, scopes: frozenset[str]
) -> tuple[str, OAuthToken]:
    token = secrets.token_urlsafe(32)
    row = OAuthToken(
        id=new_id(),
        token_hash=_hash(token),
        app_id=app.id,
        user_id=user_id,
        scopes=" ".join(sorted(scopes)),
        created_at=now(),
    )
    session.add(row)
    return token, row


def _pkce_matches(challenge: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return same_secret(computed.rstrip(b"=").decode(), challenge)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

"""Who is signed in: web sessions, OAuth apps, codes and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(cascade("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class OAuthApp(Base):
    """A client application (Tusky, Elk, toot…) registered through `POST /api/v1/apps`."""

    __tablename__ = "oauth_apps"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    scopes: Mapped[str] = mapped_column(String(1000))  # space-separated, as in OAuth
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class OAuthCode(Base):
    """An authorization code: short-lived, single use, bound to its redirect URI and (PKCE)
    to the client's code challenge. Only its hash is stored."""

    __tablename__ = "oauth_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int] = mapped_column(cascade("oauth_apps.id"))
    user_id: Mapped[int] = mapped_column(cascade("users.id"))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scopes: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str | None] = mapped_column(String(128))  # S256 only
    expires_at: Mapped[datetime]


class OAuthToken(Base):
    """An access token (only its hash is stored); `user_id` is None for an app's own token
    (client_credentials grant)."""

    __tablename__ = "oauth_tokens"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(cascade("oauth_apps.id"))
    user_id: Mapped[int | None] = mapped_column(cascade("users.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

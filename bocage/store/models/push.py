"""Web Push subscriptions: where a person's app wants their notifications pushed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class WebPushSubscription(Base):
    """One per access token, as on Mastodon: subscribing again replaces it; revoking the
    token removes it (the foreign key). `access_token` is the token itself, sealed with the
    node's secret (crypto/sealing.py): Mastodon's push message carries it, so that an app
    with several accounts knows which one a message is for, and tokens are otherwise
    stored only hashed."""

    __tablename__ = "web_push_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token_id: Mapped[int] = mapped_column(cascade("oauth_tokens.id"), unique=True)
    account_id: Mapped[int] = mapped_column(cascade("accounts.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    key_p256dh: Mapped[str] = mapped_column(String(200))
    key_auth: Mapped[str] = mapped_column(String(100))
    standard: Mapped[bool] = mapped_column(Boolean, default=False)
    alerts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy: Mapped[str] = mapped_column(String(16), default="all")
    access_token: Mapped[str] = mapped_column(Text)  # sealed
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

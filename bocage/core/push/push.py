"""Web Push subscriptions and what they are sent (docs.joinmastodon.org/methods/push).

- A subscription belongs to an access token: subscribing again with the same token replaces
  it, and revoking the token removes it (its foreign key).
- `alerts` say which kinds of notification are pushed (Mastodon's names: a reply is a
  `mention`), `policy` from whom: `all`, `followed` (accounts the person follows),
  `follower` (accounts that follow them) or `none`.
- A notification written (core/notifications) queues one `push.deliver` job per
  subscription that wants it, in the same transaction; the job checks again when it runs
  (the subscription may have changed) and sends Mastodon's message (`message`), encrypted
  for the subscription's keys.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bocage.core.content import text
from bocage.crypto import sealing
from bocage.crypto.sealing import Keyring
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.kernel.urls import Urls
from bocage.store.models import (
    Account,
    Follow,
    InstanceSetting,
    Notification,
    Post,
    WebPushSubscription,
)
from bocage.store.queue import enqueue
from bocage.store.upsert import insert_ignore

JOB = "push.deliver"
# What apps may subscribe to (Mastodon's Notification::TYPES that push carries).
ALERTS = (
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
    "admin.sign_up", "admin.report", "quote", "quoted_update",
)  # fmt: skip
# Which alert covers which of our notification types, where the names differ.
ALERT_OF = {"reply": "mention"}
POLICIES = ("all", "followed", "follower", "none")
NOT_FOUND = "Record not found"
MAX_ENDPOINT = 2000
TTL_SECONDS = 48 * 3600  # as Mastodon's: a message older than two days is not worth showing
URGENCY = "normal"
# Mastodon retries a push 5 times (Sidekiq, with backoff): 6 attempts in all, ~8 minutes.
MAX_ATTEMPTS = 6
BODY_CHARACTERS = 140
VAPID_KEY = "web_push_vapid_key"  # an InstanceSetting, never shown in the admin pages
MISSING_AVATAR = "/static/avatar-missing.png"
LOCALE = "en"  # the language the node's words are in (people choose none yet)
TITLES = {
    "mention": "{name} mentioned you",
    "reply": "{name} replied to you",
    "status": "{name} just posted",
    "reblog": "{name} boosted your post",
    "follow": "{name} followed you",
    "follow_request": "{name} asked to follow you",
    "favourite": "{name} favourited your post",
    "poll": "A poll has ended",
    "update": "{name} edited a post",
    "quote": "{name} quoted your post",
    "quoted_update": "{name} edited a post you quoted",
    "admin.report": "New report from {name}",
}


@dataclass(frozen=True)
class Request:
    """A subscription as an app asks for it (keys as the app gave them: base64, either
    alphabet, padded or not)."""

    endpoint: str
    p256dh: str
    auth: str
    standard: bool
    alerts: dict[str, bool]
    policy: str


@dataclass(frozen=True)
class VapidKey:
    private_pem: str  # opened
    public_key: str  # base64url of the uncompressed P-256 point, as apps are given it


@dataclass(frozen=True)
class Sealed:
    """A push request ready to send (adapters/webpush.py): the encrypted body, its headers."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """What one push needs, read in one transaction: where, with which keys, the message."""

    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    standard: bool
    message: dict[str, Any]


# --- subscribing -------------------------------------------------------------------------


def check_endpoint(endpoint: str) -> str:
    """An `http(s)` URL with a host (whether this node may reach it is the sender's check,
    each time: the SSRF-safe client)."""
    endpoint = endpoint.strip()
    try:
        parts = urlsplit(endpoint)
        hostname = parts.hostname
    except ValueError:
        hostname = None
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise InvalidInput(f"The endpoint must be a URL of at most {MAX_ENDPOINT} characters.")
    if parts.scheme not in ("https", "http") or not hostname:
        raise InvalidInput("The endpoint must be an https URL of the push service.")
    return endpoint


def key_bytes(value: str, name: str) -> bytes:
    """A key as apps send it: base64url (browsers) or base64 (Mastodon.py), padding or not."""
    cleaned = value.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(f"subscription[keys][{name}] is not base64.") from None


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InvalidInput(f"The policy must be one of {', '.join(POLICIES)}, not {policy!r}.")
    return policy


def known_alerts(given: dict[str, bool]) -> dict[str, bool]:
    """The alerts apps may ask for, as Mastodon keeps them (others are left out)."""
    return {name: bool(value) for name, value in given.items() if name in ALERTS}


def subscribe(
    session: Session, token_id: int, account_id: int, request: Request, sealed_token: str
) -> WebPushSubscription:
    """The token's subscription, replacing the one it had."""
    session.execute(delete(WebPushSubscription).where(WebPushSubscription.token_id == token_id))
    moment = now()
    row = WebPushSubscription(
        id=new_id(),
        token_id=token_id,
        account_id=account_id,
        endpoint=check_endpoint(request.endpoint),
        key_p256dh=request.p256dh.strip(),
        key_auth=request.auth.strip(),
        standard=request.standard,
        alerts=known_alerts(request.alerts),
        policy=check_policy(request.policy),
        access_token=sealed_token,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    return row


def of_token(session: Session, token_id: int) -> WebPushSubscription:
    found = session.execute(
        select(WebPushSubscription).where(WebPushSubscription.token_id == token_id)
    ).scalar()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def change(
    session: Session, token_id: int, alerts: dict[str, bool], policy: str
) -> WebPushSubscription:
    """New alerts and policy, as Mastodon's update: what is not sent is off (`all` for the
    policy); the endpoint and keys stay (a new subscription changes those)."""
    row = of_token(session, token_id)
    row.alerts = known_alerts(alerts)
    row.policy = check_policy(policy)
    row.updated_at = now()
    session.flush()
    return row


def unsubscribe(session: Session, token_id: int) -> None:
    session.execute(delete(WebPushSubscription).where(WebPushSubscription.token_id == token_id))


def remove(session: Session, subscription_id: int) -> None:
    """The push service said the subscription is gone (404, 410): it is forgotten."""
    session.execute(delete(WebPushSubscription).where(WebPushSubscription.id == subscription_id))


def alerts_of(row: WebPushSubscription) -> dict[str, bool]:
    """Every alert an app can ask for, on or off (Mastodon's entity lists them all)."""
    stored = row.alerts or {}
    return {name: bool(stored.get(name, False)) for name in ALERTS}


# --- which notification goes where -------------------------------------------------------


def alert_for(kind: str) -> str:
    return ALERT_OF.get(kind, kind)


def pushable(
    session: Session, row: WebPushSubscription, kind: str, recipient: int, sender: int
) -> bool:
    """Whether `row` wants a notification of `kind` from `sender` (Mastodon's `pushable?`)."""
    if not (row.alerts or {}).get(alert_for(kind)):
        return False
    match row.policy:
        case "none":
            return False
        case "followed":
            return session.get(Follow, (recipient, sender)) is not None
        case "follower":
            return session.get(Follow, (sender, recipient)) is not None
    return True


def enqueue_for(
    session: Session, notification_id: int, recipient: int, kind: str, sender: int
) -> int:
    """A push job for each of the recipient's subscriptions that wants this notification,
    in the transaction that writes it; how many."""
    rows = session.execute(
        select(WebPushSubscription).where(WebPushSubscription.account_id == recipient)
    ).scalars()
    queued = 0
    for row in rows:
        if pushable(session, row, kind, recipient, sender):
            payload = {"subscription": row.id, "notification": notification_id}
            enqueue(session, JOB, payload, max_attempts=MAX_ATTEMPTS)
            queued += 1
    return queued


def delivery(
    session: Session, subscription_id: int, notification_id: int, urls: Urls
) -> Delivery | None:
    """What the job sends, or None when there is nothing to send any more (the subscription
    or the notification is gone, or the subscription no longer wants it)."""
    row = session.get(WebPushSubscription, subscription_id)
    notification = session.get(Notification, notification_id)
    if row is None or notification is None or notification.account_id != row.account_id:
        return None
    kind, sender = notification.type, notification.from_account_id
    if not pushable(session, row, kind, row.account_id, sender):
        return None
    return Delivery(
        row.id,
        row.endpoint,
        row.key_p256dh,
        row.key_auth,
        row.standard,
        message(session, row, notification, urls),
    )


def message(
    session: Session, row: WebPushSubscription, notification: Notification, urls: Urls
) -> dict[str, Any]:
    """Mastodon's push message (Web::NotificationSerializer): the subscription's token, the
    locale, the notification's id and type, the sender's avatar, a title, and
    the post's content warning or text (else the sender's bio) as plain text, 140
    characters at most."""
    sender = session.get(Account, notification.from_account_id)
    post = session.get(Post, notification.post_id) if notification.post_id else None
    name = (sender.display_name or sender.username) if sender is not None else ""
    if sender is not None and sender.avatar:
        icon = urls.media(sender.avatar)
    else:
        icon = urls.base + MISSING_AVATAR
    if post is not None:
        body = post.spoiler_text or text.plain(post.content)
    else:
        body = text.plain(sender.note) if sender is not None else ""
    return {
        "access_token": sealing.open_token(row.access_token),
        "preferred_locale": LOCALE,
        "notification_id": notification.id,
        "notification_type": alert_for(notification.type),
        "icon": icon,
        "title": TITLES.get(notification.type, "{name}").format(name=name),
        "body": _truncated(body, BODY_CHARACTERS),
    }


def _truncated(value: str, length: int) -> str:
    """As Rails' `truncate`: at most `length` characters, the cut marked with "..."."""
    value = " ".join(value.split())
    return value if len(value) <= length else value[: length - 3] + "..."


# --- the node's VAPID key ----------------------------------------------------------------


def vapid_key(session: Session) -> VapidKey | None:
    """The node's VAPID key pair, if made yet, its private key opened."""
    stored = session.get(InstanceSetting, VAPID_KEY)
    if stored is None:
        return None
    return VapidKey(sealing.open_pem(stored.value["private_pem"]), stored.value["public_key"])


def keep_vapid_key(session: Session, made: VapidKey, ring: Keyring) -> VapidKey:
    """`made` kept as the node's key, sealed, unless another process kept one first (then
    that one, which every app was given)."""
    value = {"private_pem": ring.seal_pem(made.private_pem), "public_key": made.public_key}
    if insert_ignore(session, InstanceSetting, {"key": VAPID_KEY, "value": value}):
        return made
    stored = vapid_key(session)
    assert stored is not None
    return stored


def reseal(session: Session, ring: Keyring) -> int:
    """The VAPID key and the subscriptions' tokens sealed with `ring`'s current key (a
    rotation of the secret, core/accounts/keystore.py); how many rows changed."""
    changed = 0
    row = session.get(InstanceSetting, VAPID_KEY)
    if row is not None and not ring.is_current(row.value["private_pem"]):
        pem = sealing.open_pem(row.value["private_pem"])
        row.value = {**row.value, "private_pem": ring.seal_pem(pem)}
        changed += 1
    current = f"{sealing.PREFIX}{ring.current.key_id}:%"
    stale = session.execute(
        select(WebPushSubscription).where(WebPushSubscription.access_token.not_like(current))
    ).scalars()
    for subscription in stale:
        token = sealing.open_token(subscription.access_token)
        subscription.access_token = ring.seal_token(token)
        changed += 1
    return changed

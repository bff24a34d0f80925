"""Web Push (docs.joinmastodon.org/methods/push): an access token's push subscription, the
node's VAPID key, and the `push.deliver` job that sends one notification to one push
service.

The rules (which notification goes where, what it says, the key's storage) are core/push's;
the cryptography is a library's, behind the `PushCrypto` port (adapters/webpush.py); the
request goes through the SSRF-safe client (`PushSender`, federation/client.py). A push
service that answers 404 or 410 no longer has the subscription: it is forgotten. One that
is busy or failing (408, 429, 5xx) or cannot be reached is asked again with the job
queue's backoff, as Mastodon retries its pushes; any other answer ends the job.
"""

from __future__ import annotations

import logging

import orjson

from bocage.core.push import push
from bocage.core.push.push import VapidKey
from bocage.federation.client import BlockedAddress, FetchError
from bocage.kernel.context import Context
from bocage.services.ports import PushCrypto, PushSender
from bocage.services.unit import JobPayload, Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, WebPushSubscription
from bocage.store.queue import PermanentJobError

log = logging.getLogger("bocage.push")
GONE = (404, 410)  # RFC 8030: the subscription no longer exists


class PushService(Service):
    def __init__(self, db: Database, ctx: Context, crypto: PushCrypto, sender: PushSender) -> None:
        super().__init__(db, ctx)
        self._crypto = crypto
        self._sender = sender
        self._key: VapidKey | None = None

    async def server_key(self) -> str:
        """The node's VAPID public key, as apps are given it (`vapid_key`, `server_key`,
        `configuration.vapid.public_key`); made the first time it is asked for."""
        return (await self._vapid()).public_key

    async def _vapid(self) -> VapidKey:
        if self._key is None:
            key = await self._db.read(push.vapid_key)
            if key is None:
                made = self._crypto.generate_key()
                key = await self._db.write(push.keep_vapid_key, made, self._ctx.keyring)
            self._key = key
        return self._key

    async def subscribe(
        self, token_id: int, owner: Account, token: str, request: push.Request
    ) -> WebPushSubscription:
        """The token's subscription (the one it had replaced). Its keys are checked by
        encrypting a message for them; the token is kept sealed, for the messages."""
        push.check_endpoint(request.endpoint)
        p256dh = push.key_bytes(request.p256dh, "p256dh")
        self._crypto.check_keys(p256dh, push.key_bytes(request.auth, "auth"))
        sealed = self._ctx.keyring.seal_token(token)
        return await self._db.write(push.subscribe, token_id, owner.id, request, sealed)

    def current(self, token_id: int) -> Query[WebPushSubscription]:
        """The token's subscription; `NotFound` when it has none."""
        return self._query(lambda session: push.of_token(session, token_id))

    async def change(
        self, token_id: int, alerts: dict[str, bool], policy: str
    ) -> WebPushSubscription:
        return await self._db.write(push.change, token_id, alerts, policy)

    async def unsubscribe(self, token_id: int) -> None:
        await self._db.write(push.unsubscribe, token_id)

    async def deliver_job(self, _db: Database, payload: JobPayload) -> None:
        """`push.deliver`: one notification to one subscription, if both are still there
        and the subscription still wants it."""
        subscription_id, notification_id = payload["subscription"], payload["notification"]
        found = await self._db.read(push.delivery, subscription_id, notification_id, self._ctx.urls)
        if found is None:
            return
        sealed = self._crypto.seal(
            found.endpoint,
            push.key_bytes(found.p256dh, "p256dh"),
            push.key_bytes(found.auth, "auth"),
            standard=found.standard,
            message=orjson.dumps(found.message),
            vapid=await self._vapid(),
            subject=self._ctx.urls.base,
            ttl=push.TTL_SECONDS,
            urgency=push.URGENCY,
        )
        try:
            answer = await self._sender.push(found.endpoint, sealed.body, sealed.headers)
        except BlockedAddress as refused:
            raise PermanentJobError(f"push subscription {subscription_id}: {refused}") from refused
        status = answer.status
        if 200 <= status < 300:
            return
        if status in GONE:
            log.info("push subscription %d is gone (%d): forgotten", subscription_id, status)
            await self._db.write(push.remove, subscription_id)
            return
        if status in (408, 429) or status >= 500:
            raise FetchError(f"push service answered {status}; tried again later", status)
        raise PermanentJobError(f"push subscription {subscription_id}: the service said {status}")

"""An outside server on a loopback address, as another fediverse server would be to a node:
one actor (WebFinger, actor document with an RSA key), an inbox that keeps what it is sent,
Follows answered with an Accept as Takahē or Mastodon answer them, and signed deliveries
(draft-cavage) to a node's inbox. What it receives is what such a server would act on."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import orjson
from aiohttp import web

from bocage.crypto import httpsig
from tests.conftest import shared_secrets

AS_JSON = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class Outsider:
    """`username` on http://`host`:port. `received` is every activity its inbox got."""

    def __init__(self, host: str, username: str = "takahe") -> None:
        self.host = host
        self.username = username
        self.port = 0
        self.received: list[dict[str, Any]] = []
        self.key = shared_secrets().rsa
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def actor(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"

    def new_id(self, kind: str) -> str:
        return f"{self.actor}/{kind.lower()}s/{next(self._ids)}"

    async def start(self) -> Outsider:
        app = web.Application()
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        app.router.add_get(f"/users/{self.username}", self._actor)
        app.router.add_post(f"/users/{self.username}/inbox", self._inbox)
        app.router.add_post("/inbox", self._inbox)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def document(self) -> dict[str, Any]:
        return {
            "@context": CONTEXT,
            "id": self.actor,
            "type": "Person",
            "preferredUsername": self.username,
            "inbox": f"{self.actor}/inbox",
            "outbox": f"{self.actor}/outbox",
            "followers": f"{self.actor}/followers",
            "following": f"{self.actor}/following",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {
                "id": f"{self.actor}#main-key",
                "owner": self.actor,
                "publicKeyPem": self.key.public_pem,
            },
        }

    async def send(self, inbox: str, activity: dict[str, Any]) -> httpx.Response:
        """POST `activity` to a node's inbox URL, signed by this actor's key."""
        body = orjson.dumps({"@context": CONTEXT, **activity})
        request = httpsig.Request("POST", inbox, {}, body)
        private = httpsig.load_private_key(self.key.private_pem)
        headers = httpsig.sign(request, f"{self.actor}#main-key", private, scheme="cavage")
        async with httpx.AsyncClient(timeout=20.0) as client:
            return await client.post(
                inbox, content=body, headers={**headers, "content-type": AS_JSON}
            )

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [activity for activity in self.received if activity.get("type") == kind]

    async def _webfinger(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "subject": f"acct:{self.handle}",
                "links": [{"rel": "self", "type": AS_JSON, "href": self.actor}],
            },
            content_type="application/jrd+json",
        )

    async def _actor(self, _request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(self.document()), content_type=AS_JSON)

    async def _inbox(self, request: web.Request) -> web.Response:
        activity = orjson.loads(await request.read())
        self.received.append(activity)
        if activity.get("type") == "Follow":  # accepted at once, as an unlocked account
            asyncio.get_running_loop().create_task(self._accept(activity))
        return web.Response(status=202)

    async def _accept(self, follow: dict[str, Any]) -> None:
        follower = follow["actor"]
        inbox = follower.rsplit("/users/", 1)[0] + "/inbox"
        accept = {
            "id": self.new_id("Accept"),
            "type": "Accept",
            "actor": self.actor,
            "object": {k: follow[k] for k in ("id", "type", "actor", "object")},
        }
        await self.send(inbox, accept)

"""A remote fediverse server of the test's own, as an outside party would run one: an aiohttp
app on its own loopback address that serves one actor's document (with the RSA key the node
under test fetches to check its signatures) and takes deliveries at that actor's inbox, and
that sends the actor's activities to a node's inbox, signed as Mastodon signs them.

Nothing about it is known to the node beforehand: the node learns the actor by fetching it,
exactly as it would learn any server's.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiohttp import web

from bocage.crypto import httpsig
from bocage.crypto.keys import RsaKey

ACTIVITY_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


@dataclass
class RemoteServer:
    """One actor on `http://host:port`; `start()` before use, `stop()` after."""

    host: str
    port: int
    username: str = "mallory"
    key: RsaKey = field(default_factory=RsaKey.generate)  # its own, as any server's
    received: list[dict[str, Any]] = field(default_factory=list)  # what the node delivered
    # Notes served at their ids; one with a gate is answered only once the gate opens.
    notes: dict[str, tuple[dict[str, Any], asyncio.Event | None]] = field(default_factory=dict)
    asked: dict[str, asyncio.Event] = field(default_factory=dict)  # set when a note is fetched
    _runner: web.AppRunner | None = None
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def actor(self) -> str:
        return f"{self.base}/users/{self.username}"

    def document(self) -> dict[str, Any]:
        return {
            "@context": CONTEXT,
            "id": self.actor,
            "type": "Person",
            "preferredUsername": self.username,
            "inbox": f"{self.actor}/inbox",
            "followers": f"{self.actor}/followers",
            "publicKey": {
                "id": f"{self.actor}#main-key",
                "owner": self.actor,
                "publicKeyPem": self.key.public_pem,
            },
        }

    async def start(self) -> None:
        async def actor(_request: web.Request) -> web.Response:
            return web.Response(body=orjson.dumps(self.document()), content_type=ACTIVITY_JSON)

        async def inbox(request: web.Request) -> web.Response:
            self.received.append(orjson.loads(await request.read()))
            return web.Response(status=202)

        async def note(request: web.Request) -> web.Response:
            uri = f"{self.base}{request.path}"
            if uri not in self.notes:
                raise web.HTTPNotFound()
            document, gate = self.notes[uri]
            self.asked.setdefault(uri, asyncio.Event()).set()
            if gate is not None:
                await gate.wait()
            return web.Response(body=orjson.dumps(document), content_type=ACTIVITY_JSON)

        app = web.Application()
        app.router.add_get(f"/users/{self.username}", actor)
        app.router.add_post(f"/users/{self.username}/inbox", inbox)
        app.router.add_get(f"/users/{self.username}/notes/{{number}}", note)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def note(
        self, text: str, *, mention: str | None = None, in_reply_to: str | None = None
    ) -> dict[str, Any]:
        """A new public Note. Each note is published one second before the last (remote
        posts are dated by their `published` time; see the report on issue 16, item 0, for
        what same-second posts still do)."""
        number = next(self._numbers)
        published = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(seconds=number)
        note: dict[str, Any] = {
            "@context": CONTEXT,
            "id": f"{self.actor}/notes/{number}",
            "type": "Note",
            "attributedTo": self.actor,
            "content": f"<p>{text}</p>",
            "published": published.isoformat().replace("+00:00", "Z"),
            "to": [PUBLIC],
            "cc": [f"{self.actor}/followers"],
        }
        if mention:
            note["tag"] = [{"type": "Mention", "href": mention}]
            note["cc"].append(mention)
        if in_reply_to:
            note["inReplyTo"] = in_reply_to
        return note

    def serve(self, note: dict[str, Any], gate: asyncio.Event | None = None) -> None:
        """Answer GETs of `note` at its id (once `gate` is set, if one is given)."""
        self.notes[note["id"]] = (note, gate)

    def create(self, note: dict[str, Any]) -> dict[str, Any]:
        embedded = {key: value for key, value in note.items() if key != "@context"}
        return self._activity("Create", embedded, to=note["to"], cc=note["cc"])

    def create_note(self, text: str, *, mention: str | None = None) -> dict[str, Any]:
        return self.create(self.note(text, mention=mention))

    def like(self, object_uri: str) -> dict[str, Any]:
        return self._activity("Like", object_uri)

    def _activity(self, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        number = next(self._numbers)
        return {
            "@context": CONTEXT,
            "id": f"{self.actor}/activities/{number}",
            "type": kind,
            "actor": self.actor,
            "object": obj,
            **extra,
        }

    async def deliver(
        self, client: httpx.AsyncClient, inbox: str, activity: dict[str, Any]
    ) -> httpx.Response:
        """POST `activity` to `inbox` (an absolute URL), signed with draft-cavage as Mastodon
        signs deliveries."""
        body = orjson.dumps(activity)
        request = httpsig.Request("POST", inbox, {}, body)
        private = httpsig.load_private_key(self.key.private_pem)
        headers = httpsig.sign(request, f"{self.actor}#main-key", private, scheme="cavage")
        headers["Content-Type"] = ACTIVITY_JSON
        return await client.post(inbox, content=body, headers=headers)

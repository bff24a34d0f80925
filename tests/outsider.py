"""Servers played by the tests: a real HTTP server (aiohttp) on a loopback address, as an
outside party runs it. It serves the actor documents of its users, keeps every request it
gets, and signs what it sends with either scheme (bocage/crypto/httpsig.py, the same code
that verifies them: a fake server must be able to deliver what a real one would).

It runs in the test's event loop: a test that blocks (a `bocage` command run with
`subprocess`) must run it in a thread (`asyncio.to_thread`), or the server cannot answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bocage.crypto import httpsig
from tests.conftest import shared_secrets

AS_JSON = "application/activity+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    """One request the server got: how it was signed, and what it answered."""

    method: str
    path: str
    scheme: str  # rfc9421, cavage or unsigned
    status: int
    body: bytes


def scheme_of(request: web.Request) -> str:
    if "Signature-Input" in request.headers:
        return "rfc9421"
    return "cavage" if "Signature" in request.headers else "unsigned"


@dataclass
class Outsider:
    """An outside server at `http://host:port` with `users` (actor documents at
    /users/{name}, each with an inbox). `crash_on` lists the signature schemes it answers
    500 to, as a server whose code crashes on them would."""

    host: str
    users: tuple[str, ...] = ("fern",)
    crash_on: frozenset[str] = frozenset()
    seen: list[Seen] = field(default_factory=list)
    routes: list[tuple[str, str, Handler]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def actor(self, name: str) -> str:
        return f"{self.url}/users/{name}"

    async def start(self) -> Outsider:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_post("/users/{name}/inbox", self._inbox)
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def requests(self, method: str, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == method and seen.path == path]

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme = scheme_of(request)
        body = await request.read()
        if scheme in self.crash_on:
            response: web.StreamResponse = web.Response(status=500, text="Internal Server Error")
        else:
            response = await handler(request)
        self.seen.append(Seen(request.method, request.path, scheme, response.status, body))
        return response

    async def _actor(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.users:
            return web.json_response({"error": "no such user"}, status=404)
        return document(actor_document(self.actor(name)))

    async def _inbox(self, request: web.Request) -> web.Response:
        """202 to a delivery whose signature verifies with its sender's key (fetched from
        the sender's server), 401 otherwise, as Mastodon answers."""
        signed = httpsig.Request("POST", str(request.url), dict(request.headers),
                                 await request.read())  # fmt: skip
        try:
            key_id = httpsig.key_id_of(signed)
            async with (
                aiohttp.ClientSession() as client,
                client.get(key_id.split("#")[0], headers={"Accept": AS_JSON}) as answer,
            ):
                owner = await answer.json(content_type=None)
            httpsig.verify(signed, httpsig.load_public_key(owner["publicKey"]["publicKeyPem"]))
        except (httpsig.SignatureError, aiohttp.ClientError, KeyError, TypeError) as failed:
            return web.json_response({"error": str(failed)}, status=401)
        return web.Response(status=202)

    async def send(
        self,
        method: str,
        url: str,
        key_id: str,
        body: dict[str, Any] | None = None,
        *,
        scheme: httpsig.Scheme = "cavage",
    ) -> tuple[int, str]:
        """A request signed with `key_id` (the shared test key), asking for ActivityStreams
        JSON as a server does; its status and text."""
        data = orjson.dumps(body) if body is not None else b""
        private = httpsig.load_private_key(shared_secrets().rsa.private_pem)
        headers = httpsig.sign(httpsig.Request(method, url, {}, data), key_id, private,
                               scheme=scheme)  # fmt: skip
        headers["Content-Type"] = headers["Accept"] = AS_JSON
        async with (
            aiohttp.ClientSession() as client,
            client.request(method, url, data=data or None, headers=headers) as answer,
        ):
            return answer.status, await answer.text()


def actor_document(uri: str, **extra: Any) -> dict[str, Any]:
    """A Person with the shared test key, as Mastodon shapes one."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[-1],
        "inbox": f"{uri}/inbox",
        "followers": f"{uri}/followers",
        "publicKey": {
            "id": f"{uri}#main-key",
            "owner": uri,
            "publicKeyPem": shared_secrets().rsa.public_pem,
        },
        **extra,
    }


def document(value: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(value), status=status, content_type=AS_JSON)

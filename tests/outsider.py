"""The outside server the tests play: a real HTTP server (aiohttp) on a loopback address of
its own, as another fediverse server or peer would be to a node under test. Nothing about it
is known to the node beforehand: the node learns its actors by fetching them over real HTTP
and checks their real signatures, as it would for any server.

What it serves:
- WebFinger for its `users`, their actor documents at /users/{name} (a Person) and an
  instance actor at /actor (an Application, as Mastodon's), all with the server's RSA `key`
  (the shared test key, or `key=RsaKey.generate()` for one of its own);
- `documents`, any JSON at any path, served before everything else (`serve()` publishes one
  at its id); a path in `gates` is answered only once its asyncio.Event is set, and
  `await asked(url)` waits until the path has been asked for;
- an inbox for each actor and a shared one at /inbox, that take a delivery only if it is
  signed with its sender's key, fetched from the sender's server (401 otherwise, as Mastodon
  answers; `verify=False` takes any), and that answer a Follow with an Accept when
  `accept_follows` is set, as an unlocked account's server does;
- `crash_on`: the signature schemes it answers 500 to, as a server whose code crashes on them;
- `routes`: more (method, path, aiohttp handler) for paths it does not serve already.
`seen` is every request it got (how it was signed, what it answered), `received()` the
activities its inboxes took. Its users write as a server's users do (`note()`, `create()`,
`activity()`: ids on its host, notes published one second apart), and it signs as them with
either scheme, with the code that verifies signatures (bocage/crypto/httpsig.py): `send()`
makes a signed request, `signed()` gives the headers for one a test makes by other means.

It runs in one of two ways:
- in the test's event loop: `server = await Outsider(host).start()`, `await server.close()`;
  a test that then blocks (a `bocage` command, a synchronous HTTP call) must block in a
  thread (`asyncio.to_thread`), or the server cannot answer;
- for a test that blocks, in a thread with a loop of its own:
  `with Outsider(host).serving() as server: ...`. Gates and `asked()` belong to the loop
  that serves: they are for the first way."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from aiohttp import web

from bocage.crypto import httpsig
from bocage.crypto.keys import RsaKey
from tests.conftest import shared_secrets

AS_JSON = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
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
    """An outside server at `url` (http://host:port); see the module's docstring."""

    host: str
    users: tuple[str, ...] = ("fern",)
    crash_on: frozenset[str] = frozenset()
    seen: list[Seen] = field(default_factory=list, repr=False)
    routes: list[tuple[str, str, Handler]] = field(default_factory=list, repr=False)
    port: int = 0
    key: RsaKey = field(default_factory=lambda: shared_secrets().rsa, repr=False)
    documents: dict[str, Any] = field(default_factory=dict, repr=False)  # path -> JSON there
    gates: dict[str, asyncio.Event] = field(default_factory=dict, repr=False)  # path -> held
    verify: bool = True
    accept_follows: bool = False
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)
    _asked: dict[str, asyncio.Event] = field(default_factory=dict, init=False, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)
    _numbers: Iterator[int] = field(default_factory=itertools.count, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def actor(self, name: str) -> str:
        return f"{self.url}/users/{name}"

    @property
    def instance_actor(self) -> str:
        return f"{self.url}/actor"

    def handle(self, name: str) -> str:
        """`name`'s WebFinger handle, without the leading @."""
        return f"{name}@{self.host}:{self.port}"

    def key_id(self, name: str | None = None) -> str:
        """The key id of user `name`, or with no name, of the instance actor."""
        return f"{self.actor(name) if name else self.instance_actor}#main-key"

    async def start(self) -> Outsider:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_get("/actor", self._application)
        for inbox in ("/users/{name}/inbox", "/actor/inbox", "/inbox"):
            app.router.add_post(inbox, self._inbox)
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    @contextmanager
    def serving(self) -> Iterator[Outsider]:
        """Serves from a thread with its own event loop while in the block."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.close(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    def requests(self, method: str, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == method and seen.path == path]

    def received(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The activities its inboxes took (of type `kind`, if given), oldest first."""
        taken = [orjson.loads(seen.body) for seen in self.seen if seen.method == "POST"
                 and seen.path.endswith("/inbox") and seen.status < 300]  # fmt: skip
        return [activity for activity in taken if kind is None or activity.get("type") == kind]

    def serve(self, document: dict[str, Any], gate: asyncio.Event | None = None) -> None:
        """Serve `document` at its id; once `gate` is set, if one is given."""
        path = urlsplit(document["id"]).path
        self.documents[path] = document
        if gate is not None:
            self.gates[path] = gate

    async def asked(self, url: str) -> None:
        """Until `url` has been asked for (a request waiting at a gate counts)."""
        await self._arrival(urlsplit(url).path).wait()

    def note(
        self, name: str, text: str, *, mention: str | None = None, in_reply_to: str | None = None
    ) -> dict[str, Any]:
        """A new public Note by `name`, published one second before the last one."""
        number = next(self._numbers)
        published = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(seconds=number)
        actor = self.actor(name)
        note: dict[str, Any] = {
            "@context": CONTEXT,
            "id": f"{actor}/notes/{number}",
            "type": "Note",
            "attributedTo": actor,
            "content": f"<p>{text}</p>",
            "published": published.isoformat().replace("+00:00", "Z"),
            "to": [PUBLIC],
            "cc": [f"{actor}/followers"],
        }
        if mention:
            note["tag"] = [{"type": "Mention", "href": mention}]
            note["cc"].append(mention)
        if in_reply_to:
            note["inReplyTo"] = in_reply_to
        return note

    def create(self, note: dict[str, Any]) -> dict[str, Any]:
        """The Create of `note` by its author, addressed as the note is."""
        embedded = {key: value for key, value in note.items() if key != "@context"}
        name = note["attributedTo"].removeprefix(f"{self.url}/users/")
        return self.activity(name, "Create", embedded, to=note["to"], cc=note["cc"])

    def activity(self, name: str, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        """A new activity of `kind` by user `name`, with an id of its own."""
        actor = self.actor(name)
        return {
            "@context": CONTEXT,
            "id": f"{actor}/{kind.lower()}s/{next(self._numbers)}",
            "type": kind,
            "actor": actor,
            "object": obj,
            **extra,
        }

    async def send(
        self,
        method: str,
        url: str,
        key_id: str,
        body: dict[str, Any] | None = None,
        *,
        scheme: httpsig.Scheme = "cavage",
    ) -> tuple[int, str]:
        """A request signed with `key_id` (the server's key), asking for ActivityStreams JSON
        as a server does; its status and text."""
        data = orjson.dumps(body) if body is not None else b""
        headers = self.signed(method, url, data, key_id=key_id, scheme=scheme,
                              headers={"Content-Type": AS_JSON, "Accept": AS_JSON})  # fmt: skip
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client,
            client.request(method, url, data=data or None, headers=headers) as answer,
        ):
            return answer.status, await answer.text()

    def signed(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        *,
        key_id: str | None = None,
        scheme: httpsig.Scheme = "cavage",
        headers: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """`headers` and those that sign the request with `key_id` (by default, as the
        instance actor)."""
        given = dict(headers or {})
        request = httpsig.Request(method, url, given, body)
        signing = httpsig.sign(request, key_id or self.key_id(), self._private, scheme=scheme)
        return {**given, **signing}

    @cached_property
    def _private(self) -> httpsig.PrivateKey:
        return httpsig.load_private_key(self.key.private_pem)

    def _arrival(self, path: str) -> asyncio.Event:
        return self._asked.setdefault(path, asyncio.Event())

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        scheme = scheme_of(request)
        body = await request.read()
        self._arrival(request.path).set()
        if request.path in self.gates:
            await self.gates[request.path].wait()
        try:
            response = await self._answer(request, handler, scheme)
        except web.HTTPException as answered:  # the router's 404, among others
            self.seen.append(Seen(request.method, request.path, scheme, answered.status, body))
            raise
        self.seen.append(Seen(request.method, request.path, scheme, response.status, body))
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, scheme: str
    ) -> web.StreamResponse:
        if scheme in self.crash_on:
            return web.Response(status=500, text="Internal Server Error")
        found = self.documents.get(request.path)
        if found is not None and request.method in ("GET", "HEAD"):
            return document(found)
        return await handler(request)

    async def _webfinger(self, request: web.Request) -> web.Response:
        name = request.query.get("resource", "").removeprefix("acct:").split("@")[0]
        if name not in self.users:
            return web.json_response({"error": "no such user"}, status=404)
        links = [{"rel": "self", "type": AS_JSON, "href": self.actor(name)}]
        return web.json_response({"subject": f"acct:{self.handle(name)}", "links": links},
                                 content_type="application/jrd+json")  # fmt: skip

    async def _actor(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.users:
            return web.json_response({"error": "no such user"}, status=404)
        return document(actor_document(self.actor(name), self.key))

    async def _application(self, _request: web.Request) -> web.Response:
        """The instance actor, as Mastodon serves it at /actor."""
        return document(actor_document(self.instance_actor, self.key, type="Application",
                                       preferredUsername=self.host))  # fmt: skip

    async def _inbox(self, request: web.Request) -> web.Response:
        """202 to a delivery whose signature verifies with its sender's key (fetched from
        the sender's server), 401 otherwise, as Mastodon answers."""
        body = await request.read()
        if self.verify:
            signed = httpsig.Request("POST", str(request.url), dict(request.headers), body)
            try:
                owner = await _fetch(httpsig.key_id_of(signed).split("#")[0])
                httpsig.verify(signed, httpsig.load_public_key(owner["publicKey"]["publicKeyPem"]))
            except (httpsig.SignatureError, aiohttp.ClientError, KeyError, TypeError) as failed:
                return web.json_response({"error": str(failed)}, status=401)
        try:
            activity = orjson.loads(body)
        except orjson.JSONDecodeError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if self.accept_follows and isinstance(activity, dict) and activity.get("type") == "Follow":
            task = asyncio.get_running_loop().create_task(self._accept(activity))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _accept(self, follow: dict[str, Any]) -> None:
        """Accepts a Follow of one of its users, at the follower's inbox."""
        name = str(follow.get("object")).removeprefix(f"{self.url}/users/")
        if name not in self.users:
            return
        followed = {key: follow[key] for key in ("id", "type", "actor", "object")}
        inbox = (await _fetch(follow["actor"]))["inbox"]
        await self.send("POST", inbox, self.key_id(name), self.activity(name, "Accept", followed))


async def _fetch(url: str) -> Any:
    """The JSON document at `url`, fetched as a server fetches one."""
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client,
        client.get(url, headers={"Accept": AS_JSON}) as answer,
    ):
        return await answer.json(content_type=None)


def actor_document(uri: str, key: RsaKey | None = None, **extra: Any) -> dict[str, Any]:
    """A Person with `key` (the shared test key by default), as Mastodon shapes one."""
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[-1],
        "inbox": f"{uri}/inbox",
        "followers": f"{uri}/followers",
        "publicKey": {
            "id": f"{uri}#main-key",
            "owner": uri,
            "publicKeyPem": (key or shared_secrets().rsa).public_pem,
        },
        **extra,
    }


def document(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(value), status=status, content_type=AS_JSON)

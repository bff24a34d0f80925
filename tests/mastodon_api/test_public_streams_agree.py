"""The live public streams and the paged public timelines show the same posts (issue 17).

The streams used to re-derive which posts are public and drifted from the timelines: a reply
to someone else was streamed live but absent from the public timeline, and a silenced
server's account on a port was on the timeline but not streamed. Here one node, in process
and served by uvicorn on a loopback port (both databases), holds posts of every kind: each
visibility, replies (to oneself, to others, from other servers), a boost, attachments, a
content warning, a poll, posts that the reader's filters hide or mark, posts by accounts the
reader mutes, blocks or is blocked by, posts from other servers (open, silenced, silenced but
followed, suspended). The reader listens to every public and hashtag stream over one
WebSocket while they are published, then reads each matching timeline over the API: each
stream and its timeline must hold the same set of posts.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
import websockets
from PIL import Image

from bocage.app import create_app
from bocage.core.auth import oauth
from bocage.core.inbound import remote
from bocage.core.moderation import domain_blocks
from bocage.kernel.clock import now
from bocage.node import Node
from bocage.store.models import Account, Follow, Post, User
from tests.addresses import loopback
from tests.conftest import make_settings
from tests.core import helpers
from tests.databases import DatabaseFactory

TAG = "hedgerow"
PUBLIC = ("https://www.w3.org/ns/activitystreams#Public",)
# Each stream, as the WebSocket labels its messages, and the timeline that shows the same.
TIMELINE = "/api/v1/timelines/public"
STREAMS: dict[tuple[str, ...], tuple[str, dict[str, str]]] = {
    ("public",): (TIMELINE, {}),
    ("public:local",): (TIMELINE, {"local": "true"}),
    ("public:remote",): (TIMELINE, {"remote": "true"}),
    ("public:media",): (TIMELINE, {"only_media": "true"}),
    ("public:local:media",): (TIMELINE, {"local": "true", "only_media": "true"}),
    ("public:remote:media",): (TIMELINE, {"remote": "true", "only_media": "true"}),
    ("hashtag", TAG): (f"/api/v1/timelines/tag/{TAG}", {}),
    ("hashtag:local", TAG): (f"/api/v1/timelines/tag/{TAG}", {"local": "true"}),
}


@dataclass
class Served:
    node: Node
    url: str


@pytest.fixture
async def served(backend: str, databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Served]:
    """A node served over real HTTP and WebSocket on a free loopback port, in this loop (its
    jobs run when the test says: `node.worker.run_until_idle()`)."""
    listener = socket.socket()
    listener.bind((loopback(9, 1), 0))
    address = f"{loopback(9, 1)}:{listener.getsockname()[1]}"
    settings = make_settings(tmp_path / "data", databases.url(backend), domain=address)
    app = create_app(settings, run_worker=False)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.05)
    try:
        yield Served(app.state.node, f"http://{address}")
    finally:
        server.should_exit = True
        await serving
        listener.close()


def token_of(node: Node, account: Account) -> str:
    with node.db.transaction() as session:
        app = oauth.register_app(session, "drift", [], "read write follow", None)
        user = session.query(User).filter(User.account_id == account.id).one()
        return oauth.token_for_new_user(session, app, user)[0]


class Person:
    """A local account and a Mastodon API client holding its token."""

    def __init__(self, served: Served, name: str) -> None:
        self.account = helpers.user(served.node, name)
        self.token = token_of(served.node, self.account)
        self.api = httpx.AsyncClient(
            base_url=served.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    async def call(self, path: str, **body: Any) -> Any:
        answer = await self.api.post(path, json=body)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def publish(self, text: str, **extra: Any) -> str:
        return str((await self.call("/api/v1/statuses", status=text, **extra))["id"])

    async def picture(self) -> str:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(image, "PNG")
        files = {"file": ("hedge.png", image.getvalue(), "image/png")}
        answer = await self.api.post("/api/v2/media", files=files)
        assert answer.status_code in (200, 202), answer.text
        return str(answer.json()["id"])

    async def timeline(self, path: str, params: dict[str, str]) -> set[str]:
        answer = await self.api.get(path, params={**params, "limit": "40"})
        assert answer.status_code == 200, answer.text
        found = {status["id"] for status in answer.json()}
        assert len(found) < 40, "more than a page: the comparison would miss some"
        return found


def remote_post(node: Node, author: Account, text: str, **note: Any) -> str:
    """A post from another server, stored as the inbox stores one (then fanned out by the
    `post.created` job, which tells the streams)."""
    uri = f"{author.uri}/statuses/{abs(hash(text))}"
    received = remote.RemotePost(
        uri=uri,
        author_uri=author.uri,
        content=f"<p>{text}</p>",
        published=datetime.now(UTC),
        **{"to": PUBLIC, **note},
    )
    with node.db.transaction() as session:
        stored = session.get(Account, author.id)
        assert stored is not None
        post = remote.receive_post(session, stored, received)
        assert isinstance(post, Post), post
        return str(post.id)


async def subscribe_to_every_public_stream(socket_: Any) -> None:
    for label in STREAMS:
        request: dict[str, Any] = {"type": "subscribe", "stream": label[0]}
        if len(label) > 1:
            request["tag"] = label[1]
        await socket_.send(orjson.dumps(request).decode())
    await socket_.send(orjson.dumps({"type": "subscribe", "stream": "user"}).decode())
    # Requests are read in order: the refusal of a last, unknown one says all were taken.
    await socket_.send(orjson.dumps({"type": "subscribe", "stream": "nothing"}).decode())
    while "error" not in orjson.loads(await asyncio.wait_for(socket_.recv(), 10)):
        pass


async def streamed_until(socket_: Any, last: str) -> dict[tuple[str, ...], set[str]]:
    """The ids of the posts each public stream carried, read until the reader's own stream
    brings `last` (the streams are told of each post in turn, on one connection: once a later
    post arrives, nothing published before it is still on its way)."""
    seen: dict[tuple[str, ...], set[str]] = {label: set() for label in STREAMS}
    while True:
        message = orjson.loads(await asyncio.wait_for(socket_.recv(), 20))
        if message["stream"] == ["user"]:
            if message["event"] == "update" and orjson.loads(message["payload"])["id"] == last:
                return seen
            continue
        assert message["event"] == "update", message
        seen[tuple(message["stream"])].add(orjson.loads(message["payload"])["id"])


async def test_the_live_public_streams_show_what_the_public_timelines_show(
    served: Served,
) -> None:
    node = served.node
    alice, bob, carol = Person(served, "alice"), Person(served, "bob"), Person(served, "carol")
    muted, blocked, blocker = (
        Person(served, "mallory"),
        Person(served, "eve"),
        Person(served, "zed"),
    )
    far = helpers.remote_user(node, "https://far.example/users/fern")
    quiet = helpers.remote_user(node, "https://quiet.example/users/mo")
    followed = helpers.remote_user(node, "https://sub.quiet.example/users/kit")
    on_a_port = helpers.remote_user(node, "https://quiet.example:8443/users/pip")
    gone = helpers.remote_user(node, "https://gone.example/users/rex")
    with node.db.transaction() as session:
        domain_blocks.block(session, "quiet.example", "silence")
        domain_blocks.block(session, "gone.example", "suspend")
        session.add(
            Follow(follower_id=bob.account.id, target_id=followed.id, accepted=True,
                   created_at=now(), uri="https://example.org/follows/1")
        )  # fmt: skip
    await bob.call(f"/api/v1/accounts/{muted.account.id}/mute")
    await bob.call(f"/api/v1/accounts/{blocked.account.id}/block")
    await blocker.call(f"/api/v1/accounts/{bob.account.id}/block")
    hide = {"title": "Roots", "context": ["public"], "filter_action": "hide"}
    await bob.call("/api/v2/filters", **hide, keywords_attributes=[{"keyword": "turnip"}])
    warn = {"title": "Greens", "context": ["public"], "filter_action": "warn"}
    await bob.call("/api/v2/filters", **warn, keywords_attributes=[{"keyword": "kale"}])

    ws_url = served.url.replace("http", "ws", 1) + "/api/v1/streaming"
    async with websockets.connect(ws_url, subprotocols=[bob.token]) as socket_:  # type: ignore[list-item]
        await subscribe_to_every_public_stream(socket_)

        opening = await alice.call("/api/v1/statuses", status=f"A public #{TAG}")
        first = opening["id"]
        await alice.publish(f"Unlisted #{TAG}", visibility="unlisted")
        await alice.publish(f"Followers only #{TAG}", visibility="private")
        await alice.publish(f"@carol direct #{TAG}", visibility="direct")
        await alice.publish(f"And my own thread goes on #{TAG}", in_reply_to_id=first)
        others_reply = await carol.publish(f"@alice a reply to you #{TAG}", in_reply_to_id=first)
        await carol.call(f"/api/v1/statuses/{first}/reblog")
        await alice.publish(f"A picture #{TAG}", media_ids=[await alice.picture()])
        await alice.publish(f"Behind a warning #{TAG}", spoiler_text="hedges", sensitive=True)
        await alice.publish(f"A poll #{TAG}", poll={"options": ["yew", "box"], "expires_in": 600})
        await alice.publish(f"turnip season #{TAG}")  # Bob's filters hide it
        await alice.publish(f"kale season #{TAG}")  # and mark this one
        await muted.publish(f"Bob muted me #{TAG}")
        await blocked.publish(f"Bob blocked me #{TAG}")
        await blocker.publish(f"I blocked Bob #{TAG}")
        remote_post(node, far, f"From far away #{TAG}", tags=(TAG,))
        remote_post(node, far, "Far and unlisted", to=(), cc=PUBLIC)
        reply = {"tags": (TAG,), "in_reply_to": opening["uri"]}
        remote_post(node, far, f"A reply from far #{TAG}", **reply)
        remote_post(node, quiet, f"From a silenced server #{TAG}", tags=(TAG,))
        remote_post(node, followed, f"Silenced but followed #{TAG}", tags=(TAG,))
        remote_post(node, on_a_port, f"Silenced, on a port #{TAG}", tags=(TAG,))
        remote_post(node, gone, f"From a suspended server #{TAG}", tags=(TAG,))
        await node.worker.run_until_idle()
        await alice.publish(f"The last one #{TAG}", media_ids=[await alice.picture()])
        last = await alice.publish("@bob on no public stream", visibility="direct")
        await node.worker.run_until_idle()
        streamed = await streamed_until(socket_, last)

    shown = {label: await bob.timeline(*where) for label, where in STREAMS.items()}
    for label in STREAMS:
        assert streamed[label] == shown[label], (
            f"{label}: streamed only {streamed[label] - shown[label]}, "
            f"shown only {shown[label] - streamed[label]}"
        )
    # The comparison says something: the kinds that differ between timelines are there.
    assert others_reply not in shown[("public",)] and others_reply in shown[("hashtag", TAG)]
    assert shown[("public:remote",)] and shown[("public:local:media",)]
    assert len(shown[("public",)]) > len(shown[("public:local",)])
    for person in (alice, bob, carol, muted, blocked, blocker):
        await person.api.aclose()

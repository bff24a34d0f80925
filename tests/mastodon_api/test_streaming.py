"""The streaming API against a real node, driven by Mastodon.py (server-sent events and its
multiplexed WebSocket) and by raw clients for the refusals."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
import websockets
from mastodon import StreamListener

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]


class Collector(StreamListener):
    """Every event a stream delivers, in order, as (name, payload)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.changed = threading.Condition()

    def on_any_event(self, name: str, data: Any = None) -> None:
        with self.changed:
            self.events.append((name, data))
            self.changed.notify_all()

    def wait_for(self, wanted: Callable[[str, Any], bool], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for name, data in self.events:
                    if wanted(name, data):
                        return data
                left = deadline - time.monotonic()
                assert left > 0, f"no such event; got {[name for name, _ in self.events]}"
                self.changed.wait(left)


def close_soon(stream: Any) -> None:
    """Closing a Mastodon.py SSE stream blocks until the next byte (heartbeats come every
    15 s, as Mastodon's): let it close in the background."""
    threading.Thread(target=stream.close, daemon=True).start()


def test_user_stream_gets_home_posts_notifications_edits_and_deletes(
    api_node: NodeProcess,
) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    bob.account_follow(alice.me().id)
    heard = Collector()
    stream = bob.stream_user(heard, run_async=True)
    try:
        time.sleep(0.3)  # the subscription is registered once the response has started
        post = alice.status_post("Streaming hedges")
        update = heard.wait_for(lambda name, data: name == "update" and data.id == post.id)
        assert update.content == post.content and update.account.acct == "alice"
        check("Status", orjson.loads(orjson.dumps(update, default=str)))

        alice.status_update(post.id, "Streaming hedges, edited")
        edited = heard.wait_for(lambda name, data: name == "status.update" and data.id == post.id)
        assert "edited" in edited.content

        alice.status_post("@bob are you there?")
        mention = heard.wait_for(lambda name, data: name == "notification")
        assert mention.type == "mention" and mention.account.acct == "alice"

        alice.status_delete(post.id)
        assert heard.wait_for(lambda name, data: name == "delete" and data == post.id)
    finally:
        close_soon(stream)


def test_public_and_hashtag_streams_over_one_websocket(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    public, tagged = Collector(), Collector()
    socket = bob.stream_open_websocket()
    try:
        socket.subscribe("public:local", listener=public)
        socket.subscribe("hashtag", listener=tagged, tag="Hedgerow")
        time.sleep(0.5)
        alice.status_post("Nothing to see", visibility="unlisted")
        shown = alice.status_post("Look at this #hedgerow")
        assert public.wait_for(lambda name, data: name == "update").id == shown.id
        assert tagged.wait_for(lambda name, data: name == "update").id == shown.id
        # The unlisted post stays off the public streams.
        assert [data.id for name, data in public.events if name == "update"] == [shown.id]
    finally:
        socket.close()


def test_blocked_and_muted_authors_are_not_streamed(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    bob.account_mute(alice.me().id)
    heard = Collector()
    stream = bob.stream_local(heard, run_async=True)
    try:
        time.sleep(0.3)
        alice.status_post("Bob muted me")
        marker = bob.status_post("Bob's own public post")
        heard.wait_for(lambda name, data: name == "update" and data.id == marker.id)
        assert [data.account.acct for name, data in heard.events if name == "update"] == ["bob"]
    finally:
        close_soon(stream)
        bob.account_unmute(alice.me().id)


def test_boosts_of_a_muted_accounts_posts_are_not_streamed(api_node: NodeProcess) -> None:
    """Mastodon's rule: muting someone also hides others' boosts of their posts."""
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    root = logged_in(api_node, "root", ["read", "write", "follow"])
    bob.account_follow(alice.me().id)
    bob.account_mute(root.me().id)
    muted = root.status_post("Bob muted me, alice boosts me")
    heard = Collector()
    stream = bob.stream_user(heard, run_async=True)
    try:
        time.sleep(0.3)
        alice.status_reblog(muted.id)
        marker = alice.status_post("After the boost")
        heard.wait_for(lambda name, data: name == "update" and data.id == marker.id)
        updates = [data for name, data in heard.events if name == "update"]
        assert [data.id for data in updates] == [marker.id]
    finally:
        close_soon(stream)
        bob.account_unmute(root.me().id)
        alice.status_unreblog(muted.id)


def test_refusals(api_node: NodeProcess) -> None:
    url = api_node.url
    assert httpx.get(f"{url}/api/v1/streaming/health").text == "OK"
    missing = httpx.get(f"{url}/api/v1/streaming/public")
    assert missing.status_code == 401 and missing.json() == {"error": "Missing access token"}
    bad = httpx.get(f"{url}/api/v1/streaming/user", params={"access_token": "nope"})
    assert bad.status_code == 401 and "error" in bad.json()
    reader = logged_in(api_node, "alice", ["read:accounts"])
    narrow = httpx.get(
        f"{url}/api/v1/streaming/user", headers={"Authorization": f"Bearer {reader.access_token}"}
    )
    assert narrow.status_code == 401 and "scopes" in narrow.json()["error"]
    token = logged_in(api_node, "alice", ["read"]).access_token
    no_tag = httpx.get(f"{url}/api/v1/streaming/hashtag", params={"access_token": token})
    assert no_tag.status_code == 422 and no_tag.json() == {"error": "No tag for stream provided"}
    unknown = httpx.get(f"{url}/api/v1/streaming/everything", params={"access_token": token})
    assert unknown.status_code == 404


def test_websocket_protocol_details(api_node: NodeProcess) -> None:
    """Token in Sec-WebSocket-Protocol (echoed back), errors as messages, unsubscribe, and a
    revoked token closes the socket."""
    client = logged_in(api_node, "alice", ["read", "write"])
    ws_url = api_node.url.replace("http", "ws", 1) + "/api/v1/streaming"

    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"{ws_url}?access_token=nope"):
                pass
        assert refused.value.response.status_code == 401

        async with websockets.connect(ws_url, subprotocols=[client.access_token]) as socket:  # type: ignore[list-item]
            assert socket.subprotocol == client.access_token
            await socket.send("not json")
            assert orjson.loads(await socket.recv())["status"] == 400
            await socket.send(orjson.dumps({"type": "subscribe", "stream": "nonsense"}).decode())
            assert orjson.loads(await socket.recv())["error"] == "Unknown stream type"
            await socket.send(orjson.dumps({"type": "subscribe", "stream": "user"}).decode())
            await asyncio.sleep(0.3)
            post = await asyncio.to_thread(client.status_post, "over the socket")
            message = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
            assert (message["stream"], message["event"]) == (["user"], "update")
            assert orjson.loads(message["payload"])["id"] == str(post.id)

            await socket.send(orjson.dumps({"type": "unsubscribe", "stream": "user"}).decode())
            await asyncio.sleep(0.3)
            await asyncio.to_thread(client.status_post, "not heard")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(socket.recv(), 1.5)

            await asyncio.to_thread(client.revoke_access_token, allow_http=True)
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)

    asyncio.run(scenario())


def test_list_stream_is_its_owners_alone(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    bob.account_follow(alice.me().id)
    hedgers = bob.list_create("Hedgers")
    bob.list_accounts_add(hedgers.id, [alice.me().id])
    heard = Collector()
    stream = bob.stream_list(hedgers.id, heard, run_async=True)
    try:
        time.sleep(0.3)
        post = alice.status_post("For the list")
        assert heard.wait_for(lambda name, data: name == "update").id == post.id
    finally:
        close_soon(stream)
    theirs = httpx.get(
        f"{api_node.url}/api/v1/streaming/list",
        params={"list": hedgers.id, "access_token": alice.access_token},
    )
    assert theirs.status_code == 404


def test_direct_stream_gets_conversations(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    heard = Collector()
    stream = bob.stream_direct(heard, run_async=True)
    try:
        time.sleep(0.3)
        message = alice.status_post("@bob just between us", visibility="direct")
        conversation = heard.wait_for(lambda name, data: name == "conversation")
        assert conversation.last_status.id == message.id and conversation.unread
        assert [a.acct for a in conversation.accounts] == ["alice"]
    finally:
        close_soon(stream)


def test_public_streams_apply_each_readers_filters(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    hidden = bob.create_filter_v2(
        "no spoilers", ["public"], "hide", keywords_attributes=[{"keyword": "spoiler"}]
    )
    warned = bob.create_filter_v2(
        "weather", ["public"], "warn", keywords_attributes=[{"keyword": "rain"}]
    )
    heard = Collector()
    stream = bob.stream_local(heard, run_async=True)
    try:
        time.sleep(0.3)
        alice.status_post("A spoiler about the ending")
        rainy = alice.status_post("More rain today")
        update = heard.wait_for(lambda name, data: name == "update" and data.id == rainy.id)
        assert [result.filter.title for result in update.filtered] == ["weather"]
        assert [data.id for name, data in heard.events if name == "update"] == [rainy.id]
    finally:
        close_soon(stream)
        bob.delete_filter_v2(hidden.id)
        bob.delete_filter_v2(warned.id)

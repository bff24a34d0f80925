"""masto.js (npm, pinned in package.json) against a real node: its streaming client over one
WebSocket subscribed to `user`, `public:local` and `hashtag`, and its REST client for the calls
an app makes first. The drivers are ES modules in tests/js/ run with `node`; Mastodon.py posts.

masto.js hands every entity over with camelCase keys (its serializer renames them) and has no
run-time type checks of its own, so the payloads are renamed back here and checked against the
published Mastodon OpenAPI description, as the other client tests check theirs.

Needs Node.js 18+ and `npm ci` (`make test` and `make install` run it); skipped without them,
except under CI=true, where they must be there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]

REPO = Path(__file__).resolve().parent.parent.parent
DRIVERS = REPO / "tests" / "js"
SCOPES = ["read", "write", "follow"]
Event = dict[str, Any]


def node_binary() -> str:
    """`node`, with masto.js installed beside the repository's package.json."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed (apt-get install nodejs npm)"
    elif not (REPO / "node_modules" / "masto" / "package.json").exists():
        problem = "masto.js is not installed (npm ci, which `make install` runs)"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    assert node is not None
    return node


def snake(value: Any) -> Any:
    """masto.js's camelCase keys back to Mastodon's snake_case (keys it leaves alone, with a
    `:` or a leading `_`, stay as they are)."""
    if isinstance(value, list):
        return [snake(item) for item in value]
    if isinstance(value, dict):
        return {
            (
                key if ":" in key or key.startswith("_") else re.sub(r"(?<!^)([A-Z])", r"_\1", key)
            ).lower(): snake(item)
            for key, item in value.items()
        }
    return value


class Driver:
    """tests/js/masto_streaming.mjs running: every JSON line it printed, in order."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[Event] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(json.loads(line))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, wanted: Callable[[Event], bool], timeout: float = 15.0) -> Event:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    assert "error" not in line, f"masto.js failed: {line['error']}"
                    if wanted(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self.reader.is_alive()):
                    seen = [(x.get("subscription"), x.get("event")) for x in self.lines]
                    stderr = self.process.stderr.read() if self.process.poll() is not None else ""
                    raise AssertionError(f"no such event from masto.js; got {seen} {stderr}")
                self.changed.wait(min(left, 0.5))

    def heard(self, subscription: str, event: str, check_payload: Callable[[Any], bool]) -> Event:
        return self.wait_for(
            lambda line: (
                line.get("subscription") == subscription
                and line.get("event") == event
                and check_payload(line.get("payload"))
            )
        )

    def heard_on(self, subscription: str, event: str) -> list[Event]:
        with self.changed:
            return [
                line
                for line in self.lines
                if line.get("subscription") == subscription and line.get("event") == event
            ]


@pytest.fixture
def streaming(api_node: NodeProcess) -> Iterator[Callable[[str, str], Driver]]:
    started: list[subprocess.Popen[str]] = []
    node = node_binary()

    def start(token: str, tag: str) -> Driver:
        process = subprocess.Popen(
            [node, str(DRIVERS / "masto_streaming.mjs"), api_node.url, token, tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        started.append(process)
        return Driver(process)

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_masto_js_streams_updates_notifications_edits_and_deletes(
    api_node: NodeProcess, streaming: Callable[[str, str], Driver]
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    bob.account_follow(alice.me().id)
    tag = f"mastojs{secrets.token_hex(4)}"
    driver = streaming(bob.access_token, tag)
    ready = driver.wait_for(lambda line: "ready" in line)
    # The address masto.js found in the v2 instance, as an app finds it.
    assert ready["ready"].startswith("ws://") and api_node.host in ready["ready"]

    # masto.js subscribes once its socket is open: post until all three streams answer.
    subscriptions = ("user", "public:local", "hashtag")
    probes: set[str] = set()
    deadline = time.monotonic() + 30
    while True:
        probes.add(str(alice.status_post(f"Probe #{tag}").id))
        time.sleep(0.5)
        if all(
            any(str(line["payload"]["id"]) in probes for line in driver.heard_on(name, "update"))
            for name in subscriptions
        ):
            break
        assert time.monotonic() < deadline, f"masto.js never heard a probe: {driver.lines}"

    post = alice.status_post(f"masto.js hears the hedge #{tag}")
    post_id = str(post.id)
    for name in subscriptions:
        update = driver.heard(name, "update", lambda payload: payload["id"] == post_id)
        expected_stream = ["hashtag", tag] if name == "hashtag" else [name]
        assert update["stream"] == expected_stream
        status = update["payload"]
        # masto.js renamed the keys as it does for every entity: Mastodon's, camelCased.
        assert status["account"]["acct"] == "alice" and "createdAt" in status
        assert status["visibility"] == "public" and "repliesCount" in status
        assert [t["name"] for t in status["tags"]] == [tag]
        check("Status", snake(status))

    alice.status_update(post.id, f"masto.js hears the hedge, edited #{tag}")
    for name in subscriptions:
        # As Mastodon's fan-out: the edit goes wherever the post went.
        edited = driver.heard(name, "status.update", lambda payload: payload["id"] == post_id)
        assert "edited" in edited["payload"]["content"] and edited["payload"]["editedAt"]
        check("Status", snake(edited["payload"]))

    mention = alice.status_post("@bob did masto.js hear this?", visibility="direct")
    notification = driver.heard(
        "user",
        "notification",
        lambda payload: (
            payload["status"] is not None and payload["status"]["id"] == str(mention.id)
        ),
    )
    payload = notification["payload"]
    assert payload["type"] == "mention" and payload["account"]["acct"] == "alice"
    assert notification["stream"] == ["user"]
    check("Notification", snake(payload))
    # A direct post is on no public stream.
    assert not any(
        line["payload"]["id"] == str(mention.id)
        for name in ("public:local", "hashtag")
        for line in driver.heard_on(name, "update")
    )

    alice.status_delete(post.id)
    for name in subscriptions:
        # The id alone, as a string: masto.js does not parse a delete's payload.
        deleted = driver.heard(name, "delete", lambda payload: payload == post_id)
        assert isinstance(deleted["payload"], str)


def test_masto_js_rest_client(api_node: NodeProcess) -> None:
    node = node_binary()
    alice = logged_in(api_node, "alice", SCOPES)
    answer = subprocess.run(
        [node, str(DRIVERS / "masto_rest.mjs"), api_node.url, alice.access_token],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert answer.returncode == 0, answer.stderr
    out = json.loads(answer.stdout)

    me = out["verifyCredentials"]
    assert me["username"] == "alice" and me["source"]["privacy"] == "public"
    check("CredentialAccount", snake(me))
    assert out["instance"]["configuration"]["urls"]["streaming"].startswith("ws://")

    created = out["created"]
    assert [s["content"] for s in created] == [
        "<p>masto.js one</p>",
        "<p>masto.js two</p>",
        "<p>masto.js three</p>",
    ]
    for status in created:
        assert status["visibility"] == "unlisted" and status["account"]["id"] == me["id"]
        check("Status", snake(status))
    assert out["fetched"]["id"] == created[0]["id"]
    favourited = out["favourited"]
    assert favourited["favourited"] is True and favourited["favouritesCount"] == 1

    # Two pages of two, newest first, through the Link header masto.js follows.
    first, second = out["homePages"]
    assert first == [created[2]["id"], created[1]["id"]]
    assert second[0] == created[0]["id"] and len(second) == 2

    edited = out["edited"]
    assert edited["content"] == "<p>masto.js two, edited</p>" and edited["editedAt"]
    assert out["deleted"]["id"] == created[2]["id"]
    assert out["deleted"]["text"] == "masto.js three"  # the source, for delete-and-redraft
    assert out["missing"] == {"statusCode": 404, "message": "Record not found"}

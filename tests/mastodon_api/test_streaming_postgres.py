"""Streaming with several processes on PostgreSQL: the web process streams what a separate
`bocage worker` process commits (events travel through NOTIFY/LISTEN)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.addresses import loopback
from tests.databases import DatabaseFactory
from tests.federation.helpers import FEDERATION_ENV
from tests.integration.helpers import backend_env
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.mastodon_api.test_streaming import Collector, close_soon
from tests.processes import BOCAGE, NodeProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.xdist_group("mastodon_api/test_streaming_postgres"),
]


@pytest.fixture(scope="module")
def split_node(
    tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory
) -> Iterator[NodeProcess]:
    """`bocage serve --no-worker` and a `bocage worker`, sharing one PostgreSQL database."""
    root: Path = tmp_path_factory.mktemp("split")
    env = {**FEDERATION_ENV, **backend_env("postgresql", databases)}
    node = NodeProcess(root / "node", host=loopback(0, 7), env=env, serve_options=("--no-worker",))
    node.prepare(["alice", "bob"])
    node.start()
    worker = subprocess.Popen(
        [*BOCAGE, "worker", "--data", str(node.data)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield node
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=15)
        node.stop()


def test_events_committed_by_the_worker_process_reach_the_web_process(
    split_node: NodeProcess,
) -> None:
    alice = logged_in(split_node, "alice", ["read", "write", "follow"])
    bob = logged_in(split_node, "bob", ["read", "write", "follow"])
    bob.account_follow(alice.me().id)
    heard = Collector()
    stream = bob.stream_user(heard, run_async=True)
    try:
        time.sleep(0.5)
        post = alice.status_post("Fanned out by the other process")
        # The home-feed fan-out and the notification are the worker process's jobs.
        assert heard.wait_for(lambda name, data: name == "update").id == post.id
        alice.status_favourite(bob.status_post("like me").id)
        assert heard.wait_for(lambda name, data: name == "notification").type == "favourite"
    finally:
        close_soon(stream)

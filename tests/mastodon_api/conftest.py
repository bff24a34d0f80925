"""Real `bocage serve` nodes (SQLite) with alice, bob and root (an admin), driven by real
clients (Mastodon.py, toot, httpx).

Most modules share one node, started once for the package instead of once per module (each
start is a cold Python start, and far more on a busy machine): their tests make their own
posts, filters and follows and look only at those. Those modules carry
`xdist_group("api_node")`, so that one worker runs them all, in order, against that node
(tests/conftest.py). A module whose tests look at everything on the node (every list, every
conversation, the trends) sets `OWN_NODE = True` and gets a node of its own, and its own
xdist group. Tests that need other settings start their own (test_polls.py, test_ratelimit.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.addresses import loopback
from tests.federation.helpers import start_node
from tests.processes import NodeProcess

USERS = ["alice", "bob", "root*"]


def _api_node(root: Path) -> Iterator[NodeProcess]:
    # Many modules upload and delete as alice and bob on this one node: Mastodon's 30 uploads
    # per half hour would refuse them (the limits have nodes of their own: test_ratelimit*).
    node = start_node(root, loopback(0, 6), USERS, {"BOCAGE_API_REQUESTS_PER_WINDOW": "0"})
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="package")
def shared_api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from _api_node(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def api_node(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeProcess]:
    """The package's shared node, or one of the module's own if it sets `OWN_NODE`."""
    if getattr(request.module, "OWN_NODE", False):
        yield from _api_node(tmp_path_factory.mktemp("api"))
    else:
        yield request.getfixturevalue("shared_api_node")

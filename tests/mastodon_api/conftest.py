"""One real `bocage serve` (SQLite) for the module, with two people, driven by real clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.addresses import loopback
from tests.federation.helpers import start_node
from tests.processes import NodeProcess


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_node(tmp_path_factory.mktemp("api"), loopback(0, 6), ["alice", "bob", "root*"], {})
    try:
        yield node
    finally:
        node.stop()

"""Nodes for federation tests: real processes on loopback addresses 0.2, 0.3 and 0.4 of the
worker (tests/addresses.py), one per test module (starting a node costs about a second)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.addresses import loopback
from tests.databases import DatabaseFactory, postgres_available
from tests.federation.helpers import prepare_node
from tests.integration.helpers import backend_env
from tests.processes import NodeProcess, running

HOSTS = (loopback(0, 2), loopback(0, 3), loopback(0, 4))


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory
) -> Iterator[list[NodeProcess]]:
    """Three nodes: the first and third on SQLite, the second on PostgreSQL when it is
    available, so that every flow crosses both databases."""
    root: Path = tmp_path_factory.mktemp("federation")
    with_postgres = postgres_available() or os.environ.get("CI") == "true"
    middle = backend_env("postgresql", databases) if with_postgres else {}
    # The middle node also runs in authorized-fetch mode, as many Mastodon servers do: the
    # others' signed fetches of its posts must keep working.
    middle = {**middle, "BOCAGE_AUTHORIZED_FETCH": "1"}
    made = [
        prepare_node(root, HOSTS[0], ["alice", "amy", "olga", "ivy"]),
        prepare_node(root, HOSTS[1], ["bob", "bea*", "nora", "rui", "sam"], middle),
        prepare_node(root, HOSTS[2], ["carol*"]),
    ]
    with running(*made):
        yield made

"""A report made through the client API about someone on another server, with `forward`: the
other server's moderators get it as a Flag from this node itself (never naming who
reported), as Mastodon forwards. Two real nodes; Mastodon.py on the reporter's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.addresses import loopback
from tests.federation.helpers import CSRF_RE, PASSWORD, prepare_node
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_reports_forwarded")]


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, ...]]:
    root: Path = tmp_path_factory.mktemp("reports")
    made = (
        prepare_node(root, loopback(0, 6), ["alice"]),
        prepare_node(root, loopback(0, 7), ["bob", "bea*"]),
    )
    with running(*made) as started:
        yield started


def admin_reports(node: NodeProcess, who: str) -> str:
    with httpx.Client(base_url=node.url) as web:
        csrf = CSRF_RE.search(web.get("/login").text)
        assert csrf
        web.post("/login", data={"login": who, "password": PASSWORD, "csrf": csrf[1]})
        return web.get("/admin/reports").text


def test_a_forwarded_report_reaches_the_other_servers_moderators(
    two_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    here, there = two_nodes
    alice = logged_in(here, "alice", ["read", "write"])
    handle = f"bob@{there.host}:{there.port}"
    found = alice.search_v2(handle, resolve=True, result_type="accounts").accounts
    assert [account.acct for account in found] == [handle]

    report = alice.report(found[0], None, "Forwarded: harassment", forward=True, category="other")
    assert report.forwarded is True and report.target_account.acct == handle
    kept = alice.report(found[0], None, "Kept here only", category="spam")
    assert kept.forwarded is False

    deadline = time.monotonic() + 20
    while "Forwarded: harassment" not in (page := admin_reports(there, "bea")):
        assert time.monotonic() < deadline, "the forwarded report never reached bea"
        time.sleep(0.2)
    assert "Kept here only" not in page
    assert "alice" not in page  # who reported stays on the reporter's server

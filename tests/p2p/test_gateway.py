"""The gateway endpoints' answers: objects by did and path, and the refusals peers get."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bocage.app import create_app
from bocage.core.posts import posts
from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.node import Node
from bocage.store.models import Account
from tests.addresses import loopback
from tests.conftest import make_settings
from tests.core.helpers import post, user
from tests.federation.helpers import prepare_node
from tests.processes import run_cli, start_all

GATEWAY = "/.well-known/apgateway"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Node, httpx.AsyncClient]]:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/db.sqlite3")
    app = create_app(settings, run_worker=False)
    node: Node = app.state.node
    await node.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=node.ctx.urls.base) as client:
        yield node, client
    await node.stop()


def path_of(uri: str) -> str:
    return urlsplit(uri).path


async def test_a_public_object_is_served_by_did_and_path_with_its_proof(served) -> None:  # type: ignore[no-untyped-def]
    node, client = served
    alice = user(node, "alice")
    public = post(node, alice, "for anyone")
    private = post(node, alice, "for my followers", visibility="private")
    answer = await client.get(f"{GATEWAY}/{alice.did}{path_of(public.uri)}")
    assert answer.status_code == 200
    document = answer.json()
    assert document["id"] == public.uri and "for anyone" in document["content"]
    assert verify_object(document, public_key_from_did(alice.did or "")).valid
    assert (await client.get(f"{GATEWAY}/{alice.did}{path_of(private.uri)}")).status_code == 404
    unknown = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    assert (await client.get(f"{GATEWAY}/{unknown}{path_of(public.uri)}")).status_code == 404
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, session.get(Account, alice.id), public.id)  # type: ignore[arg-type]
    gone = await client.get(f"{GATEWAY}/{alice.did}{path_of(public.uri)}")
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"


async def test_logs_and_clocks_are_for_signed_peers_only(served) -> None:  # type: ignore[no-untyped-def]
    node, client = served
    alice = user(node, "alice")
    log = await client.get(f"{GATEWAY}/{alice.did}/log")
    assert log.status_code == 401 and "sign" in log.json()["error"]
    clock = await client.post(f"{GATEWAY}/clock", content=b'{"clock": {}, "peers": []}')
    assert clock.status_code == 401


async def test_a_peer_that_asks_too_often_is_told_to_wait(tmp_path: Path) -> None:
    strict = {"BOCAGE_P2P_REQUESTS_PER_MINUTE": "2"}
    home = prepare_node(tmp_path, loopback(0, 26), ["alice"], strict)
    asker = prepare_node(tmp_path, loopback(0, 27), ["bob"])
    start_all(home, asker)
    try:
        run_cli("peer", "add", home.url, "--data", str(asker.data), env=asker.env)
        for _ in range(3):
            output = run_cli("sync", "--data", str(asker.data), env=asker.env).stdout
        assert "429" in output, output
        listed = run_cli("peer", "list", "--data", str(asker.data), env=asker.env).stdout
        assert "refused" in listed and "429" in listed
    finally:
        home.stop()
        asker.stop()

"""The admin's peers page: add, list, remove, refuse what is not a node; forked logs shown."""

from __future__ import annotations

import orjson

from bocage.kernel.clock import now
from bocage.store.models import LogFork
from tests.conftest import make_user
from tests.core.helpers import remote_user
from tests.web.conftest import Browser


async def test_the_admin_adds_lists_and_removes_peers(browser: Browser) -> None:
    make_user(browser.node, "boss", admin=True)
    await browser.login("boss")
    added = await browser.post("/admin/peers/add", {"url": "https://peer.example/anything"})
    assert added.status_code == 303
    listing = await browser.get("/admin/peers")
    assert "https://peer.example" in listing.text and "manual" in listing.text
    refused = await browser.post("/admin/peers/add", {"url": "ftp://nowhere"})
    assert refused.status_code == 422 and "is not a node" in refused.text
    itself = await browser.post("/admin/peers/add", {"url": browser.node.ctx.urls.base})
    assert itself.status_code == 422 and "own address" in itself.text
    await browser.post("/admin/peers/remove", {"url": "https://peer.example"})
    assert "https://peer.example" not in (await browser.get("/admin/peers")).text


async def test_a_forked_log_is_shown_to_the_admin(browser: Browser) -> None:
    make_user(browser.node, "boss", admin=True)
    zed = remote_user(browser.node, "https://far.example/users/zed")
    with browser.node.db.transaction() as session:
        session.get(type(zed), zed.id).did = "did:key:z6MkforkedExampleKey"  # type: ignore[union-attr]
        session.add(LogFork(account_id=zed.id, seq=7, ours=orjson.dumps({}).decode(),
                            theirs="{}", peer="https://liar.example", seen_at=now()))  # fmt: skip
    await browser.login("boss")
    page = (await browser.get("/admin/peers")).text
    assert "Forked logs" in page and "did:key:z6MkforkedExampleKey" in page
    assert "https://liar.example" in page

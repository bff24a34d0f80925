"""What the instance API and the web forms say of the node's limits is what the core enforces
(core/limits/limits.py reads each limit from its one home), and the peers it lists leave out the
servers the admin blocked. One node in process per test (both databases), over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bocage.core.accounts import accounts, featured_tags
from bocage.core.content import text
from bocage.core.instance import domains
from bocage.core.media import media
from bocage.core.moderation import domain_blocks
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.timelines import pins
from bocage.kernel.errors import InvalidInput
from bocage.node import Node
from tests.conftest import make_user
from tests.core import helpers
from tests.web.conftest import Browser, browser, web_node

__all__ = ["browser", "web_node"]


@pytest.fixture
async def anonymous(web_node: Node) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=web_node.app, client=("127.0.0.1", 50000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as api:
        yield api


async def configuration(api: httpx.AsyncClient, version: str) -> dict[str, Any]:
    answer = await api.get(f"/api/{version}/instance")
    assert answer.status_code == 200
    return answer.json()["configuration"]  # type: ignore[no-any-return]


async def test_the_instance_reports_the_limits_the_core_enforces(
    web_node: Node, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pins, "MAX_PINS", 7)
    monkeypatch.setattr(featured_tags, "MAX_FEATURED", 3)
    monkeypatch.setattr(web_node.settings, "max_media_attachments", 2)
    monkeypatch.setattr(media, "MAX_UPLOAD_PIXELS", 2_000_000)
    monkeypatch.setattr(media, "IMAGE_TYPES", ("image/png",))
    monkeypatch.setattr(text, "URL_WEIGHT", 11)
    monkeypatch.setattr(polls, "MAX_OPTION_CHARS", 42)
    monkeypatch.setattr(polls, "MAX_EXPIRY_SECONDS", 86_400)
    monkeypatch.setattr(web_node.settings, "max_post_chars", 1234)
    monkeypatch.setattr(web_node.settings, "max_upload_bytes", 99_999)
    monkeypatch.setattr(web_node.settings, "max_poll_options", 6)
    monkeypatch.setattr(web_node.settings, "poll_min_expiry_seconds", 600)
    for version in ("v1", "v2"):
        found = await configuration(anonymous, version)
        assert found["accounts"] == {"max_featured_tags": 3, "max_pinned_statuses": 7}
        assert found["statuses"] == {
            "max_characters": 1234, "max_media_attachments": 2, "characters_reserved_per_url": 11,
        }  # fmt: skip
        assert found["media_attachments"]["supported_mime_types"] == [
            "image/png",
            *media.DOCUMENT_TYPES,
        ]
        assert found["media_attachments"]["image_size_limit"] == 99_999
        assert found["media_attachments"]["image_matrix_limit"] == 2_000_000
        assert found["polls"] == {
            "max_options": 6, "max_characters_per_option": 42,
            "min_expiration": 600, "max_expiration": 86_400,
        }  # fmt: skip


async def test_the_reported_limits_are_the_enforced_ones(
    web_node: Node, anonymous: httpx.AsyncClient
) -> None:
    """At each reported limit the core accepts, one past it the core refuses."""
    found = await configuration(anonymous, "v2")
    alice = helpers.user(web_node, "alice")
    most = found["statuses"]["max_characters"]
    url = "https://example.org/" + "long/" * 40  # counts as characters_reserved_per_url
    weighted = "x" * (most - 1 - found["statuses"]["characters_reserved_per_url"]) + " " + url
    helpers.post(web_node, alice, weighted)
    with pytest.raises(InvalidInput):
        helpers.post(web_node, alice, "x" + weighted)
    most_options = found["polls"]["max_options"]
    longest = found["polls"]["max_characters_per_option"]
    for count, length, allowed in (
        (most_options, longest, True),
        (most_options + 1, 5, False),
        (2, longest + 1, False),
    ):
        options = tuple(str(n).rjust(length, "o") for n in range(count))
        draft = polls.PollDraft(options, found["polls"]["min_expiration"])
        if allowed:
            helpers.post(web_node, alice, "a poll", poll=draft)
        else:
            with pytest.raises(InvalidInput):
                helpers.post(web_node, alice, "a poll", poll=draft)


async def test_the_web_forms_take_their_limits_from_the_core(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(posts, "MAX_SPOILER", 77)
    monkeypatch.setattr(polls, "MAX_OPTION_CHARS", 33)
    monkeypatch.setattr(accounts, "MAX_NOTE", 444)
    monkeypatch.setattr(accounts, "MAX_FIELDS", 2)
    monkeypatch.setattr(browser.node.settings, "max_post_chars", 1234)
    monkeypatch.setattr(browser.node.settings, "poll_min_expiry_seconds", 3600)
    make_user(browser.node, "alice")
    await browser.login("alice")
    compose = (await browser.get("/compose")).text
    assert 'name="spoiler_text" maxlength="77"' in compose
    assert 'name="poll_option" maxlength="33"' in compose
    assert "Up to 1234 characters." in compose
    assert "5 minutes" not in compose and "1 hour" in compose  # shorter polls are refused
    profile = (await browser.get("/settings/profile")).text
    assert 'name="note" rows="4" maxlength="444"' in profile
    assert "field_name_1" in profile and "field_name_2" not in profile


async def test_peers_leave_out_the_servers_the_admin_blocked(
    web_node: Node, anonymous: httpx.AsyncClient
) -> None:
    for uri in (
        "https://open.example/users/a",
        "https://silenced.example/users/b",
        "https://sub.suspended.example/users/c",
        "https://noop.example/users/d",
    ):
        helpers.remote_user(web_node, uri)
    with web_node.db.transaction() as session:
        domain_blocks.block(session, "silenced.example", "silence")
        domain_blocks.block(session, "suspended.example", "suspend")
        domain_blocks.block(session, "noop.example", "noop", reject_media=True)
    assert (await anonymous.get("/api/v1/instance/peers")).json() == ["open.example"]
    with web_node.db.transaction() as session:
        domain_blocks.unblock(session, "noop.example")
        domains.set_mode(session, "allowlist")
        domains.allow(session, "noop.example")
    assert (await anonymous.get("/api/v1/instance/peers")).json() == ["noop.example"]

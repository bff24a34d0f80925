"""Captured payloads from other servers, aimed at this node's people and delivered signed to
its inbox, then processed by the job queue: what each one changes here."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from sqlalchemy import select

from bocage.store.models import Account, Notification, Report
from tests.activitypub.helpers import BASE, REMOTE, deliver, payload, signed_headers
from tests.core import helpers
from tests.web.conftest import Browser


def aimed(name: str, actor: str, objects: list[str]) -> dict[str, Any]:
    """A captured payload, sent by `actor` about `objects` (ids of things on this node)."""
    document = copy.deepcopy(payload(name))
    document["actor"] = actor
    document["id"] = f"{actor}/activities/{name.replace('/', '-')}"
    document["object"] = objects if len(objects) > 1 else objects[0]
    return document


async def deliver_and_process(browser: Browser, document: dict[str, Any]) -> None:
    body = orjson.dumps(document)
    response = await deliver(browser, body, signed_headers(body))
    assert response.status_code == 202, response.text
    await browser.node.worker.run_until_idle()
    await browser.node.worker.run_until_idle()


def open_reports(browser: Browser) -> list[Report]:
    with browser.node.db.snapshot() as session:
        return list(session.execute(select(Report).order_by(Report.created_at)).scalars())


async def test_flags_from_mastodon_and_lemmy_reach_the_admins(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    admin = helpers.user(node, "root", admin=True)
    alice = _alice(browser)
    first = helpers.post(node, alice, "first")
    second = helpers.post(node, alice, "second")

    # Mastodon: the account and two of its posts, reason in `content`.
    mastodon = aimed("mastodon/flag.json", REMOTE, [alice.uri, first.uri, second.uri])
    await deliver_and_process(browser, mastodon)
    # Lemmy: a post alone, reason in `summary`; the post's author is the one reported.
    lemmy = aimed("lemmy/report_page.json", REMOTE, [second.uri])
    await deliver_and_process(browser, lemmy)
    await deliver_and_process(browser, lemmy)  # the same Flag twice is one report

    found = open_reports(browser)
    assert [(r.target_id, sorted(r.post_ids), r.comment) for r in found] == [
        (alice.id, sorted([first.id, second.id]), payload("mastodon/flag.json")["content"]),
        (alice.id, [second.id], "report this post"),
    ]
    assert all(r.account_id == sender.id and r.uri for r in found)
    with node.db.snapshot() as session:
        told = session.execute(
            select(Notification.type).where(Notification.account_id == admin.id)
        ).scalars()
        assert list(told) == ["admin.report", "admin.report"]


async def test_a_flag_about_nobody_here_is_ignored(browser: Browser, sender: Account) -> None:
    elsewhere = aimed("mastodon/flag.json", REMOTE, ["https://far.example/users/x"])
    await deliver_and_process(browser, elsewhere)
    assert open_reports(browser) == []


def _alice(browser: Browser) -> Account:
    with browser.node.db.snapshot() as session:
        found = session.execute(
            select(Account).where(Account.uri == f"{BASE}/users/alice")
        ).scalar_one()
        return found

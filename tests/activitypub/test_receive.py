"""Captured payloads from other servers, aimed at this node's people and delivered signed to
its inbox, then processed by the job queue: what each one changes here."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from sqlalchemy import select

from bocage.core.graph import graph
from bocage.store.models import Account, Block, Follow, LogEntry, Notification, Report
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


async def test_a_block_from_mastodon_ends_both_follows_and_is_answered_as_mastodon_does(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    alice = _alice(browser)
    alices_follow, senders_follow = _follows_both_ways(browser, alice, sender)

    await deliver_and_process(browser, aimed("mastodon/block.json", REMOTE, [alice.uri]))

    assert _follow_rows(browser, alice, sender) == []
    with node.db.snapshot() as session:
        assert session.get(Block, (sender.id, alice.id)) is not None
    # Mastodon's inbox answers a Block so (ActivityPub::Activity::Block): alice's follow is
    # undone, the blocker's follow of alice rejected, both signed into alice's log.
    told = _logged(browser, alice, ("Undo", "Reject"))
    assert sorted((kind, obj["type"], obj["id"]) for kind, obj in told) == [
        ("Reject", "Follow", senders_follow),
        ("Undo", "Follow", alices_follow),
    ]


async def test_a_reject_of_an_accepted_follow_ends_it(browser: Browser, sender: Account) -> None:
    alice = _alice(browser)
    alices_follow, _ = _follows_both_ways(browser, alice, sender)
    reject = copy.deepcopy(payload("mastodon/reject_follow.json"))
    reject.update(actor=REMOTE, id=f"{REMOTE}#rejects/follows/1")
    reject["object"].update(id=alices_follow, actor=alice.uri, object=REMOTE)

    await deliver_and_process(browser, reject)

    # Mastodon's "remove follower": alice no longer follows the sender; the other edge stays.
    assert _follow_rows(browser, alice, sender) == [(sender.id, alice.id)]
    with browser.node.db.snapshot() as session:
        assert session.get(Account, alice.id).following_count == 0  # type: ignore[union-attr]


def _follows_both_ways(browser: Browser, alice: Account, remote: Account) -> tuple[str, str]:
    """alice follows `remote` (accepted there) and `remote` follows alice: the two Follow ids."""
    node = browser.node
    with node.db.transaction() as session:
        mine = graph.follow(session, node.ctx, alice, remote).uri
        graph.follow_answered(session, alice, remote, True)
        theirs = graph.follow(session, node.ctx, remote, alice, uri=f"{REMOTE}#follows/7").uri
    assert len(_follow_rows(browser, alice, remote)) == 2
    return mine, theirs


def _follow_rows(browser: Browser, a: Account, b: Account) -> list[tuple[int, int]]:
    with browser.node.db.snapshot() as session:
        rows = session.execute(
            select(Follow.follower_id, Follow.target_id).where(
                Follow.follower_id.in_([a.id, b.id]), Follow.target_id.in_([a.id, b.id])
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def _logged(browser: Browser, account: Account, kinds: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(type, object) of the activities of `kinds` in the account's log, as signed."""
    with browser.node.db.snapshot() as session:
        rows = session.execute(
            select(LogEntry.activity_type, LogEntry.activity).where(
                LogEntry.account_id == account.id, LogEntry.activity_type.in_(kinds)
            )
        )
        return [(kind, orjson.loads(body)["object"]) for kind, body in rows.all()]


def _alice(browser: Browser) -> Account:
    with browser.node.db.snapshot() as session:
        found = session.execute(
            select(Account).where(Account.uri == f"{BASE}/users/alice")
        ).scalar_one()
        return found

"""Nothing accepted is ever lost (ARCHITECTURE.md, principle 3), proven by accounting.

A remote server sends a burst of signed activities, all published within one second (a
Mastodon `published` has whole seconds: the posts' ids all come from the same millisecond).
Every one is answered 202; once the worker is idle, each has a verdict beside it, and

    applied + refused (each with a reason) = accepted

with every applied Create's post on the node. Before ids were made per millisecond with a
counter, posts published in the same second took 16 random bits each, collided, and the
failed insert was read as "already stored": at 10,000 posts about 750 vanished without a word.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import orjson
from sqlalchemy import func, select

from bocage.node import Node
from bocage.store.models import Account, InboundActivity, Job, Post
from tests.activitypub.helpers import REMOTE, signed_headers
from tests.web.conftest import Browser

PUBLISHED = "2026-12-01T10:00:00Z"  # the one second every post of the burst was published in
BURST = {"sqlite": 2_000, "postgresql": 500}  # PostgreSQL: the same paths, fewer rounds
IN_FLIGHT = 32  # deliveries at once, as a busy server's delivery workers would send them
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note_uri(n: int) -> str:
    return f"{REMOTE}/statuses/{n}"


def create(n: int, *, activity: str = "") -> dict[str, Any]:
    uri = note_uri(n)
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{uri}/activity{activity}",
        "type": "Create",
        "actor": REMOTE,
        "published": PUBLISHED,
        "to": [PUBLIC],
        "object": {
            "id": uri,
            "type": "Note",
            "attributedTo": REMOTE,
            "content": f"<p>post {n}</p>",
            "published": PUBLISHED,
            "to": [PUBLIC],
        },
    }


def plan(size: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter[str]]:
    """Deletes sent first, then the burst; and what each part of it must come to.

    Out of every 20 activities of the burst: 16 new posts (applied), 1 second Create of one of
    them under another activity id (refused: already here, even when both are applied at the
    same moment), 1 Create of a post its author deleted earlier (refused: deleted), 1 Like
    of a post that is not here (refused), 1 activity type we do not handle (refused)."""
    deletes: list[dict[str, Any]] = []
    burst: list[dict[str, Any]] = []
    expected: Counter[str] = Counter()
    for n in range(size):
        match n % 20:
            case 16:
                burst.append(create(n - 1, activity="#again"))
                expected["already here"] += 1
            case 17:
                deletes.append(
                    {
                        "id": f"{note_uri(n)}#delete",
                        "type": "Delete",
                        "actor": REMOTE,
                        "object": note_uri(n),
                    }
                )
                burst.append(create(n))
                expected["deleted"] += 1
            case 18:
                burst.append(
                    {
                        "id": f"{REMOTE}/likes/{n}",
                        "type": "Like",
                        "actor": REMOTE,
                        "object": f"http://127.0.0.9:9/users/other/statuses/{n}",
                    }
                )
                expected["not held"] += 1
            case 19:
                burst.append(
                    {
                        "id": f"{REMOTE}/reads/{n}",
                        "type": "Read",
                        "actor": REMOTE,
                        "object": note_uri(0),
                    }
                )
                expected["not handled"] += 1
            case _:
                burst.append(create(n))
                expected["applied"] += 1
    return deletes, burst, expected


async def deliver_all(browser: Browser, activities: list[dict[str, Any]]) -> Counter[int]:
    """POST each to the shared inbox, signed, IN_FLIGHT at a time; the statuses answered."""
    statuses: Counter[int] = Counter()
    queue = iter(activities)

    async def sender() -> None:
        for activity in queue:
            body = orjson.dumps(activity)
            response = await browser.client.post(
                "/inbox", content=body, headers=signed_headers(body, path="/inbox")
            )
            statuses[response.status_code] += 1

    await asyncio.gather(*(sender() for _ in range(IN_FLIGHT)))
    return statuses


def verdicts(node: Node) -> list[tuple[str | None, str | None]]:
    with node.db.snapshot() as session:
        return list(session.execute(select(InboundActivity.outcome, InboundActivity.reason)))


def stored_posts(node: Node) -> set[str]:
    with node.db.snapshot() as session:
        author = select(Account.id).where(Account.uri == REMOTE).scalar_subquery()
        return set(session.scalars(select(Post.uri).where(Post.account_id == author)))


def unfinished_jobs(node: Node) -> int:
    with node.db.snapshot() as session:
        return int(session.scalar(select(func.count()).where(Job.state != "done")) or 0)


async def test_every_accepted_activity_is_applied_or_refused_with_its_reason(
    browser: Browser, sender: Account, backend: str
) -> None:
    node = browser.node
    deletes, burst, expected = plan(BURST[backend])
    assert await deliver_all(browser, deletes) == Counter({202: len(deletes)})
    await node.worker.run_until_idle()

    assert await deliver_all(browser, burst) == Counter({202: len(burst)})
    await node.worker.run_until_idle()

    found = verdicts(node)
    assert len(found) == len(deletes) + len(burst)  # every accepted activity is stored
    outcomes = Counter(outcome for outcome, _ in found)
    assert outcomes[None] == 0, "an activity was left without a verdict"
    refusals = [reason for outcome, reason in found if outcome == "refused"]
    assert all(refusals), "a refusal without a reason"
    assert outcomes["applied"] + outcomes["refused"] == len(deletes) + len(burst)
    assert outcomes["applied"] == expected["applied"] + len(deletes)
    counted = Counter(
        "already here" if "already here" in reason
        else "deleted" if "deleted by its author" in reason
        else "not held" if "is not held here" in reason
        else "not handled" if "not handled here" in reason
        else reason
        for reason in refusals
    )  # fmt: skip
    assert counted == expected - Counter({"applied": expected["applied"]})

    created = {a["object"]["id"] for a in burst if a["type"] == "Create"}
    deleted = {a["object"] for a in deletes}
    assert stored_posts(node) == created - deleted  # every applied Create's post is here
    assert unfinished_jobs(node) == 0

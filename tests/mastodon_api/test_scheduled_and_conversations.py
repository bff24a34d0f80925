"""Scheduled statuses, direct conversations and muted threads against a real node, driven by
Mastodon.py (the reference client) and, for bad input, by raw HTTP requests.

Publishing at the scheduled time is tested in tests/core/test_scheduled.py with the clock
moved forward; here we check what a client sees and that the publishing job is waiting."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.federation.helpers import PASSWORD
from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("mastodon_api/test_scheduled_and_conversations"),
]
OWN_NODE = True  # its tests look at everything on the node (tests/mastodon_api/conftest.py)
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TOO_SOON = "Validation failed: Scheduled at The scheduled date must be in the future"
T = TypeVar("T")


def token(node: NodeProcess, who: str, scopes: str) -> httpx.Client:
    """A raw HTTP client with a bearer token of `scopes` for `who`."""
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "raw", "scopes": scopes})
    answer = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": scopes,
        },
    )  # fmt: skip
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=node.url, headers=bearer)


def eventually(probe: Callable[[], T], deadline: float = 10.0) -> T:
    """What `probe` answers once it is truthy: jobs run just after the request."""
    end = time.monotonic() + deadline
    while not (found := probe()) and time.monotonic() < end:
        time.sleep(0.05)
    assert found, "nothing came before the deadline"
    return found


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def publishing_jobs(node: NodeProcess) -> list[tuple[dict[str, Any], str, str]]:
    """(payload, state, run_after) of the node's scheduled.publish jobs, read from its
    database file as an operator would."""
    with sqlite3.connect(f"file:{node.data / 'bocage.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT payload, state, run_after FROM jobs WHERE kind = 'scheduled.publish' "
            "ORDER BY created_at"
        ).fetchall()
    return [(json.loads(payload), state, run_after) for payload, state, run_after in rows]


def test_schedule_list_move_and_cancel(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    photo = alice.media_post(PNG_1x1, mime_type="image/png", description="a dot")
    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    planned = alice.status_post(
        "Later, with a #photo",
        scheduled_at=at,
        media_ids=[photo],
        visibility="unlisted",
        spoiler_text="cw",
        language="en",
    )
    assert planned.scheduled_at == at
    assert (planned.params.text, planned.params.visibility) == ("Later, with a #photo", "unlisted")
    assert (planned.params.spoiler_text, planned.params.language) == ("cw", "en")
    assert [str(m) for m in planned.params.media_ids] == [str(photo.id)]
    assert [m["id"] for m in planned.media_attachments] == [str(photo.id)]  # plain dicts here
    assert [s.id for s in alice.scheduled_statuses()] == [planned.id]
    assert alice.scheduled_status(planned.id).params.text == "Later, with a #photo"
    assert "Later" not in str([s.content for s in alice.timeline_home()])  # not yet

    # Its publishing job waits for its time.
    [(payload, state, run_after)] = publishing_jobs(api_node)
    assert (payload["id"], state) == (int(planned.id), "queued")
    assert run_after.startswith(at.strftime("%Y-%m-%d %H:%M:%S"))

    # The upload is kept for it.
    with pytest.raises(MastodonAPIError) as taken:
        alice.status_post("Now, with the same photo", media_ids=[photo])
    assert taken.value.args[1] == 422

    moved = alice.scheduled_status_update(planned.id, at + timedelta(days=1))
    assert moved.scheduled_at == at + timedelta(days=1)
    assert alice.scheduled_status(planned.id).scheduled_at == at + timedelta(days=1)
    jobs = publishing_jobs(api_node)
    assert [job[0]["at"] for job in jobs] == [iso(at), iso(at + timedelta(days=1))]

    alice.scheduled_status_delete(planned.id)
    assert alice.scheduled_statuses() == []
    with pytest.raises(MastodonNotFoundError):
        alice.scheduled_status(planned.id)
    assert alice.status_post("Now the photo is free", media_ids=[photo]).media_attachments


def test_answers_and_refusals(api_node: NodeProcess) -> None:
    alice = token(api_node, "alice", "read write")
    later = iso(datetime.now(UTC) + timedelta(hours=3))
    made = alice.post("/api/v1/statuses", data={"status": "for the schema", "scheduled_at": later})
    assert made.status_code == 200
    check("ScheduledStatus", made.json())
    assert made.json()["params"] | {"application_id": 0} == {
        "text": "for the schema", "media_ids": None, "sensitive": None, "spoiler_text": None,
        "visibility": "public", "language": None, "scheduled_at": None, "poll": None,
        "idempotency": None, "with_rate_limit": False, "in_reply_to_id": None,
        "application_id": 0, "allowed_mentions": None,
    }  # fmt: skip
    listed = alice.get("/api/v1/scheduled_statuses")
    for row in listed.json():
        check("ScheduledStatus", row)
    scheduled_id = made.json()["id"]
    check("ScheduledStatus", alice.get(f"/api/v1/scheduled_statuses/{scheduled_id}").json())

    # Less than five minutes ahead: Mastodon's refusal. Already past: published at once.
    soon = iso(datetime.now(UTC) + timedelta(minutes=3))
    refused = alice.post("/api/v1/statuses", json={"status": "x", "scheduled_at": soon})
    assert (refused.status_code, refused.json()) == (422, {"error": TOO_SOON})
    past = iso(datetime.now(UTC) - timedelta(minutes=1))
    now = alice.post("/api/v1/statuses", json={"status": "right away", "scheduled_at": past})
    assert now.status_code == 200 and "right away" in now.json()["content"]
    check("Status", now.json())
    garbled = alice.post("/api/v1/statuses", data={"status": "x", "scheduled_at": "soonish"})
    assert garbled.status_code == 422 and "Scheduled at" in garbled.json()["error"]
    empty = alice.post("/api/v1/statuses", data={"status": "", "scheduled_at": later})
    assert empty.status_code == 422 and set(empty.json()) == {"error"}

    moved = alice.put(f"/api/v1/scheduled_statuses/{scheduled_id}", data={"scheduled_at": soon})
    assert (moved.status_code, moved.json()) == (422, {"error": TOO_SOON})
    unchanged = alice.put(f"/api/v1/scheduled_statuses/{scheduled_id}", json={})
    assert unchanged.json()["scheduled_at"] == made.json()["scheduled_at"]

    # Someone else's, or nobody's: not found. Wrong scope, no token: Mastodon's answers.
    bob = token(api_node, "bob", "read write")
    for attempt in (
        bob.get(f"/api/v1/scheduled_statuses/{scheduled_id}"),
        bob.put(f"/api/v1/scheduled_statuses/{scheduled_id}", data={"scheduled_at": later}),
        bob.delete(f"/api/v1/scheduled_statuses/{scheduled_id}"),
        alice.get("/api/v1/scheduled_statuses/1"),
    ):
        assert (attempt.status_code, attempt.json()) == (404, {"error": "Record not found"})
    assert bob.get("/api/v1/scheduled_statuses").json() == []
    reader = token(api_node, "alice", "read")
    denied = reader.post("/api/v1/statuses", data={"status": "x", "scheduled_at": later})
    assert denied.status_code == 403
    assert reader.delete(f"/api/v1/scheduled_statuses/{scheduled_id}").status_code == 403
    writer = token(api_node, "alice", "write")
    assert writer.get("/api/v1/scheduled_statuses").status_code == 403
    assert httpx.get(f"{api_node.url}/api/v1/scheduled_statuses").status_code == 401

    # A retried request (same Idempotency-Key) gets the same scheduled status back.
    once = {"Idempotency-Key": "schedule-once"}
    body = {"status": "only once, later", "scheduled_at": later}
    first = alice.post("/api/v1/statuses", data=body, headers=once).json()
    again = alice.post("/api/v1/statuses", data=body, headers=once).json()
    assert first["id"] == again["id"]
    texts = [row["params"]["text"] for row in alice.get("/api/v1/scheduled_statuses").json()]
    assert texts.count("only once, later") == 1

    # Paging, with Link headers.
    page = alice.get("/api/v1/scheduled_statuses", params={"limit": 1})
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["link"]
    following = httpx.get(page.links["next"]["url"], headers=alice.headers).json()
    assert following and following[0]["id"] < page.json()[0]["id"]


def test_conversations(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    first = alice.status_post("@bob just between us", visibility="direct")
    [theirs] = eventually(bob.conversations)
    assert theirs.unread is True
    assert [a.acct for a in theirs.accounts] == ["alice"]
    assert theirs.last_status.id == first.id
    [mine] = alice.conversations()
    assert (mine.unread, [a.acct for a in mine.accounts]) == (False, ["bob"])

    assert bob.conversations_read(theirs.id).unread is False
    assert bob.conversations()[0].unread is False
    answer = bob.status_post("@alice agreed", in_reply_to_id=first, visibility="direct")
    eventually(lambda: alice.conversations()[0].last_status.id == answer.id)
    assert [c.id for c in alice.conversations()] == [mine.id]  # the same conversation
    assert alice.conversations()[0].unread is True

    second = alice.status_post("@bob another topic", visibility="direct")
    eventually(lambda: len(bob.conversations()) == 2)
    raw = token(api_node, "bob", "read write")
    page = raw.get("/api/v1/conversations", params={"limit": 1})
    [newest] = page.json()
    check("Conversation", newest)
    assert newest["last_status"]["id"] == str(second.id)
    assert f"max_id={second.id}" in page.links["next"]["url"]
    older = httpx.get(page.links["next"]["url"], headers=raw.headers).json()
    assert [c["id"] for c in older] == [str(theirs.id)]
    check("Conversation", raw.post(f"/api/v1/conversations/{theirs.id}/read").json())

    # Deleting the last status: the previous one is shown; removing: for the caller only.
    alice.status_delete(second)
    assert [c.last_status.id for c in bob.conversations()] == [answer.id]
    removed = raw.delete(f"/api/v1/conversations/{theirs.id}")
    assert (removed.status_code, removed.json()) == (200, {})
    assert bob.conversations() == []
    assert [c.id for c in alice.conversations()] == [mine.id]

    other = token(api_node, "alice", "read write")
    for attempt in (
        other.delete(f"/api/v1/conversations/{theirs.id}"),  # gone
        raw.post(f"/api/v1/conversations/{mine.id}/read"),  # alice's
        raw.delete(f"/api/v1/conversations/{mine.id}"),
    ):
        assert (attempt.status_code, attempt.json()) == (404, {"error": "Record not found"})
    reader = token(api_node, "alice", "read")
    assert reader.post(f"/api/v1/conversations/{mine.id}/read").status_code == 403
    assert reader.get("/api/v1/conversations").status_code == 200
    assert token(api_node, "alice", "write").get("/api/v1/conversations").status_code == 403
    assert httpx.get(f"{api_node.url}/api/v1/conversations").status_code == 401


def test_muting_a_thread(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    root = alice.status_post("A thread of mine")
    question = bob.status_post("@alice a question", in_reply_to_id=root)
    eventually(lambda: [n for n in alice.notifications() if n.status.id == question.id])

    muted = alice.status_mute(question)
    assert muted.muted is True and muted.id == question.id
    assert alice.status(root).muted is True  # the whole thread
    assert bob.status(root).muted is False  # for alice only
    raw = token(api_node, "alice", "read write")
    check("Status", raw.get(f"/api/v1/statuses/{root.id}").json())
    home = raw.get("/api/v1/timelines/home").json()
    assert {s["id"]: s["muted"] for s in home}[str(root.id)] is True

    again = bob.status_post("@alice and another thing", in_reply_to_id=question)
    bob.status_favourite(root)
    elsewhere = bob.status_post("@alice on another subject")
    eventually(lambda: [n for n in alice.notifications() if n.status.id == elsewhere.id])
    about = {(n.type, n.status.id) for n in alice.notifications()}
    assert ("mention", again.id) not in about and ("favourite", root.id) not in about

    assert alice.status_unmute(root).muted is False
    assert alice.status(question).muted is False
    later = bob.status_post("@alice are you there?", in_reply_to_id=root)
    eventually(lambda: [n for n in alice.notifications() if n.status.id == later.id])

    # Someone else's direct post cannot be seen, so it cannot be muted; scopes as Mastodon.
    hidden = bob.status_post("@bob note to self", visibility="direct")
    refused = raw.post(f"/api/v1/statuses/{hidden.id}/mute")
    assert (refused.status_code, refused.json()) == (404, {"error": "Record not found"})
    reader = token(api_node, "alice", "read")
    assert reader.post(f"/api/v1/statuses/{root.id}/mute").status_code == 403

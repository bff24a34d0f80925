"""Polls through the Mastodon API, against a real node: made with a post (Mastodon.py's
make_poll, form-encoded and JSON bodies), read, voted on, refused as Mastodon refuses, and
closed with `poll` notifications. The node lets polls last only a few seconds
(`poll_min_expiry_seconds`), so that one can be seen ending."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.addresses import loopback
from tests.federation.helpers import Person, start_node
from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import PNG_1x1, home_until, logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_polls")]
SHORTEST = 3  # seconds: this node's poll_min_expiry_seconds


@pytest.fixture(scope="module")
def poll_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_node(
        tmp_path_factory.mktemp("polls"),
        loopback(0, 6),
        ["alice", "bob", "carol"],
        {"BOCAGE_POLL_MIN_EXPIRY_SECONDS": str(SHORTEST)},
    )
    try:
        yield node
    finally:
        node.stop()


def api(node: NodeProcess, client: Mastodon) -> httpx.Client:
    return httpx.Client(
        base_url=node.url, headers={"Authorization": f"Bearer {client.access_token}"}
    )


def test_make_read_and_vote_with_mastodon_py(poll_node: NodeProcess) -> None:
    alice = logged_in(poll_node, "alice", ["read", "write", "follow"])
    bob = logged_in(poll_node, "bob", ["read", "write", "follow"])
    bob.account_follow(alice.me().id)

    posted = alice.status_post(
        "Best hedge plant?",
        poll=alice.make_poll(["hawthorn", "hazel", "holly"], expires_in=3600, multiple=True),
    )
    poll = posted.poll
    assert [o.title for o in poll.options] == ["hawthorn", "hazel", "holly"]
    assert [o.votes_count for o in poll.options] == [0, 0, 0]
    assert (poll.multiple, poll.expired, poll.votes_count, poll.voters_count) == (
        True, False, 0, 0,
    )  # fmt: skip
    assert (poll.voted, poll.own_votes) == (True, [])  # the author counts as having voted

    voted = bob.poll_vote(poll.id, [0, 2])
    assert (voted.voted, voted.own_votes, voted.votes_count, voted.voters_count) == (
        True, [0, 2], 2, 1,
    )  # fmt: skip
    assert [o.votes_count for o in voted.options] == [1, 0, 1]
    assert bob.poll(poll.id).own_votes == [0, 2]
    # The poll travels with its status, wherever statuses are shown.
    home = [s for s in home_until(bob, posted.id) if s.id == posted.id]
    assert home and home[0].poll.id == poll.id and home[0].poll.own_votes == [0, 2]
    assert alice.status(posted.id).poll.votes_count == 2
    boosted = bob.status_reblog(posted.id)
    assert boosted.poll is None and boosted.reblog.poll.id == poll.id

    # Anyone may read a public poll; `voted` and `own_votes` come only with a user.
    anonymous = httpx.get(f"{poll_node.url}/api/v1/polls/{poll.id}").json()
    assert "voted" not in anonymous and "own_votes" not in anonymous
    assert anonymous["options"][0] == {"title": "hawthorn", "votes_count": 1}
    for shown in (anonymous, api(poll_node, bob).get(f"/api/v1/polls/{poll.id}").json()):
        check("Poll", shown)
    check("Status", api(poll_node, bob).get(f"/api/v1/statuses/{posted.id}").json())

    # Hidden totals: counts are null until the end, for everyone.
    secret = alice.status_post(
        "Secret ballot", poll=alice.make_poll(["a", "b"], expires_in=600, hide_totals=True)
    )
    after = bob.poll_vote(secret.poll.id, 1)
    assert [o.votes_count for o in after.options] == [None, None] and after.votes_count == 1
    check("Poll", api(poll_node, bob).get(f"/api/v1/polls/{secret.poll.id}").json())


def test_form_and_json_bodies_and_the_instance_limits(poll_node: NodeProcess) -> None:
    alice = api(poll_node, logged_in(poll_node, "alice", ["read", "write"]))
    form = alice.post(
        "/api/v1/statuses",
        data={
            "status": "Form poll",
            "poll[options][]": ["one", "two"],
            "poll[expires_in]": "600",
            "poll[multiple]": "true",
            "poll[hide_totals]": "false",
        },
    )
    assert form.status_code == 200, form.text
    assert [o["title"] for o in form.json()["poll"]["options"]] == ["one", "two"]
    assert form.json()["poll"]["multiple"] is True
    check("Status", form.json())
    as_json = alice.post(
        "/api/v1/statuses",
        json={"status": "JSON poll", "poll": {"options": ["x", "y"], "expires_in": 3600}},
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["poll"]["multiple"] is False
    assert as_json.json()["poll"]["voters_count"] == 0

    limits = httpx.get(f"{poll_node.url}/api/v2/instance").json()["configuration"]["polls"]
    assert limits == {
        "max_options": 4,
        "max_characters_per_option": 50,
        "min_expiration": SHORTEST,
        "max_expiration": 2_629_746,
    }
    assert httpx.get(f"{poll_node.url}/api/v1/instance").json()["configuration"]["polls"] == limits


BAD_POLLS: list[tuple[Any, str]] = [
    ({"options": ["only"], "expires_in": 600}, "Poll options must have more than one item"),
    ({"options": list("abcde"), "expires_in": 600}, "can't contain more than 4 items"),
    ({"options": ["a", "b" * 51], "expires_in": 600}, "cannot be longer than 50 characters"),
    ({"options": ["a", "a"], "expires_in": 600}, "duplicate"),
    ({"options": ["a", "b"], "expires_in": SHORTEST - 1}, "Poll expires at is too soon"),
    ({"options": ["a", "b"], "expires_in": 2_629_747}, "too far into the future"),
    ({"options": ["a", "b"]}, "Poll expires at can't be blank"),
    ({"options": ["a", "b"], "expires_in": "soon"}, "number of seconds"),
    ({"options": "a,b", "expires_in": 600}, "list of texts"),
    ("a poll please", "must be an object"),
]


def test_bad_polls_are_refused_with_422(poll_node: NodeProcess) -> None:
    alice = api(poll_node, logged_in(poll_node, "alice", ["read", "write"]))
    for poll, words in BAD_POLLS:
        answer = alice.post("/api/v1/statuses", json={"status": "bad", "poll": poll})
        assert answer.status_code == 422, (poll, answer.text)
        assert answer.json()["error"].startswith("Validation failed: ")
        assert words in answer.json()["error"], (poll, answer.text)
        check("Error", answer.json())
    upload = alice.post("/api/v2/media", files={"file": ("dot.png", PNG_1x1, "image/png")})
    both = alice.post(
        "/api/v1/statuses",
        json={
            "status": "both",
            "media_ids": [upload.json()["id"]],
            "poll": {"options": ["a", "b"], "expires_in": 600},
        },
    )
    assert both.status_code == 422 and "poll" in both.json()["error"]
    no_text = alice.post(
        "/api/v1/statuses", json={"status": "", "poll": {"options": ["a", "b"], "expires_in": 600}}
    )
    assert no_text.status_code == 422


def test_voting_refusals_are_mastodons(poll_node: NodeProcess) -> None:
    alice_client = logged_in(poll_node, "alice", ["read", "write"])
    alice, bob = (
        api(poll_node, alice_client),
        api(poll_node, logged_in(poll_node, "bob", ["read", "write"])),
    )
    single = alice_client.status_post(
        "One only", poll=alice_client.make_poll(["a", "b", "c"], expires_in=600)
    ).poll
    votes = f"/api/v1/polls/{single.id}/votes"

    first = bob.post(votes, data={"choices[]": ["1"]})
    assert first.status_code == 200 and first.json()["own_votes"] == [1]
    again = bob.post(votes, json={"choices": [2]})
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: You have already voted on this poll"}
    carol = api(poll_node, logged_in(poll_node, "carol", ["read", "write"]))
    for choices, error in (
        ([0, 1], "Validation failed: You have already voted on this poll"),  # single choice
        ([3], "Validation failed: The chosen vote option does not exist"),
        ([-1], "Validation failed: The chosen vote option does not exist"),
        (["first"], "Validation failed: choices must be indexes of the poll's options"),
        ([], "Validation failed: Choose at least one option"),
    ):
        answer = carol.post(votes, json={"choices": choices})
        assert (answer.status_code, answer.json()) == (422, {"error": error}), choices
    own = alice.post(votes, data={"choices[]": "0"})
    assert own.json() == {"error": "Validation failed: You cannot vote in your own polls"}
    assert carol.post(votes, json={"choices": ["2"]}).json()["own_votes"] == [2]

    # Unknown, or not visible to the voter: 404, as Mastodon answers.
    missing = carol.post("/api/v1/polls/123456/votes", json={"choices": [0]})
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    assert carol.get("/api/v1/polls/123456").status_code == 404
    private = alice_client.status_post(
        "Followers only", visibility="private",
        poll=alice_client.make_poll(["a", "b"], expires_in=600),
    ).poll  # fmt: skip
    assert carol.get(f"/api/v1/polls/{private.id}").status_code == 404
    assert carol.post(f"/api/v1/polls/{private.id}/votes", json={"choices": [0]}).status_code == 404

    # Tokens: none, or without the scope.
    anonymous = httpx.post(f"{poll_node.url}{votes}", json={"choices": [0]})
    assert anonymous.status_code == 401
    reader = api(poll_node, logged_in(poll_node, "carol", ["read"]))
    assert reader.post(votes, json={"choices": [0]}).status_code == 403
    writer = api(poll_node, logged_in(poll_node, "carol", ["write"]))
    assert writer.get(f"/api/v1/polls/{single.id}").status_code == 403


def test_a_poll_ends_and_its_author_and_voters_are_told(poll_node: NodeProcess) -> None:
    alice = logged_in(poll_node, "alice", ["read", "write"])
    bob = logged_in(poll_node, "bob", ["read", "write"])
    alice.notifications_clear()
    bob.notifications_clear()
    posted = alice.status_post(
        "Quick!", poll=alice.make_poll(["now", "later"], expires_in=SHORTEST)
    )
    bob.poll_vote(posted.poll.id, 0)

    def told(client: Mastodon) -> list[Any]:
        return [n for n in client.notifications(types=["poll"]) if n.status.id == posted.id]

    deadline = time.monotonic() + SHORTEST + 15
    while not (told(alice) and told(bob)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for client in (alice, bob):
        found = told(client)
        assert len(found) == 1 and found[0].type == "poll"
        assert found[0].account.acct == "alice"
        assert found[0].status.poll.expired is True
        assert [o.votes_count for o in found[0].status.poll.options] == [1, 0]
    raw = api(poll_node, bob).get("/api/v1/notifications", params={"types[]": "poll"}).json()
    for notification in raw:
        check("Notification", notification)

    late = api(poll_node, logged_in(poll_node, "carol", ["write"]))
    answer = late.post(f"/api/v1/polls/{posted.poll.id}/votes", json={"choices": [1]})
    assert answer.status_code == 422
    assert answer.json() == {"error": "Validation failed: The poll has already ended"}


async def test_the_web_pages_show_polls_take_votes_and_make_them(poll_node: NodeProcess) -> None:
    alice = logged_in(poll_node, "alice", ["read", "write"])
    posted = alice.status_post("On the web?", poll=alice.make_poll(["yes", "no"], expires_in=600))
    async with httpx.AsyncClient(base_url=poll_node.url) as nobody:
        anonymous = (await nobody.get(f"/@alice/{posted.id}")).text
    assert "0 votes" in anonymous and "yes" in anonymous and 'name="choice"' not in anonymous

    bob = await Person(poll_node, "bob").login()
    try:
        page = (await bob.get(f"/@alice/{posted.id}")).text
        assert 'type="radio" name="choice" value="1"' in page
        await bob.post(f"/posts/{posted.id}/vote", {"choice": "1"})
        assert alice.poll(posted.poll.id).options[1].votes_count == 1
        page = (await bob.get(f"/@alice/{posted.id}")).text
        assert "1 vote" in page and "100%" in page and "your vote" in page
        assert 'name="choice"' not in page  # voted: the results, not the form
        refused = await bob.submit(f"/posts/{posted.id}/vote", {"choice": "0"})
        assert refused.status_code == 303  # back to the page, with Mastodon's reason
        assert alice.poll(posted.poll.id).votes_count == 1

        # The compose form makes polls too (blank options are dropped).
        await bob.post(
            "/posts",
            {
                "text": "Web poll", "visibility": "public", "poll_option": ["red", "green", ""],
                "poll_expires_in": "3600", "poll_multiple": "on",
            },
        )  # fmt: skip
        mine = logged_in(poll_node, "bob", ["read"]).account_statuses(
            logged_in(poll_node, "bob", ["read"]).me().id, limit=1
        )[0]
        assert [o.title for o in mine.poll.options] == ["red", "green"]
        assert mine.poll.multiple is True
    finally:
        await bob.close()

"""What other servers rely on, checked against real nodes over HTTP: a block tells the
blocked server to drop both follows (Takahē reads only those), a thread carries its context
(microblog.pub threads and votes by it), and the outbox and follow collections can be walked
page by page (how a server backfills a profile).

Two nodes of their own (SQLite, and PostgreSQL when available) and an outside server that
records what it is sent, on block 4 of the worker's loopback addresses (tests/addresses.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.addresses import loopback
from tests.databases import DatabaseFactory, postgres_available
from tests.federation.helpers import Person, eventually, prepare_node
from tests.integration.helpers import backend_env
from tests.outsider import Outsider
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_interop")]

HOSTS = (loopback(4, 1), loopback(4, 2))
OUTSIDER_HOST = loopback(4, 10)
TAKAHE = "takahe"  # the outsider's account, accepting follows as Takahē does


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory
) -> Iterator[list[NodeProcess]]:
    root: Path = tmp_path_factory.mktemp("interop")
    with_postgres = postgres_available() or os.environ.get("CI") == "true"
    second = backend_env("postgresql", databases) if with_postgres else {}
    made = [
        prepare_node(root, HOSTS[0], ["alice", "amy", "olga"]),
        prepare_node(root, HOSTS[1], ["bob", "bea"], second),
    ]
    with running(*made):
        yield made


@pytest.fixture
async def people(nodes: list[NodeProcess]) -> AsyncIterator[dict[str, Person]]:
    homes = {"alice": 0, "amy": 0, "olga": 0, "bob": 1, "bea": 1}
    found = {name: await Person(nodes[i], name).login() for name, i in homes.items()}
    yield found
    for person in found.values():
        await person.close()


@pytest.fixture
async def outsider() -> AsyncIterator[Outsider]:
    server = await Outsider(OUTSIDER_HOST, (TAKAHE,), accept_follows=True).start()
    yield server
    await server.close()


def actor_of(person: Person) -> str:
    return f"{person.node.url}/users/{person.username}"


async def tell(outsider: Outsider, person: Person, activity: dict[str, Any]) -> None:
    """The outsider delivers `activity` to `person`'s inbox, which takes it."""
    key_id = outsider.key_id(TAKAHE)
    status, text = await outsider.send("POST", f"{actor_of(person)}/inbox", key_id, activity)
    assert status == 202, text


async def follows_both_ways(person: Person, outsider: Outsider) -> tuple[str, str]:
    """The outsider follows `person`, who follows it back: the two Follow ids."""
    follow = outsider.activity(TAKAHE, "Follow", actor_of(person))
    theirs = follow["id"]
    await tell(outsider, person, follow)
    await eventually(
        lambda: _answered(outsider, "Accept", theirs), what=f"{person.username} accepted"
    )
    await person.post(f"/@{outsider.handle(TAKAHE)}/follow")
    mine = await eventually(lambda: _first(outsider, "Follow"), what="the Follow")
    profile = f"/@{outsider.handle(TAKAHE)}"
    await eventually(lambda: _has(person, profile, ">Unfollow<"), what="follow accepted")
    return mine["id"], theirs


async def test_blocking_an_outside_account_tells_its_server_to_drop_both_follows(
    people: dict[str, Person], outsider: Outsider
) -> None:
    alice = people["alice"]
    alices_follow, outsiders_follow = await follows_both_ways(alice, outsider)

    await alice.post(f"/@{outsider.handle(TAKAHE)}/block")

    # As Mastodon's BlockService: the Block, an Undo of alice's Follow and a Reject of the
    # outsider's, so that a server reading only those (Takahē) drops both edges.
    await eventually(lambda: _answered(outsider, "Undo", alices_follow), what="Undo(Follow)")
    await eventually(lambda: _answered(outsider, "Reject", outsiders_follow), what="Reject")
    block = await eventually(lambda: _first(outsider, "Block"), what="the Block")
    assert block["object"] == outsider.actor(TAKAHE) and block["actor"] == actor_of(alice)
    followers = (await alice.get("/@alice/followers")).text
    assert f'href="/@{outsider.handle(TAKAHE)}"' not in followers


async def test_an_outside_block_ends_both_follows_and_is_answered(
    people: dict[str, Person], outsider: Outsider
) -> None:
    amy = people["amy"]
    amys_follow, outsiders_follow = await follows_both_ways(amy, outsider)

    await tell(outsider, amy, outsider.activity(TAKAHE, "Block", actor_of(amy)))

    await eventually(lambda: _answered(outsider, "Undo", amys_follow), what="Undo(Follow)")
    await eventually(lambda: _answered(outsider, "Reject", outsiders_follow), what="Reject")
    page = (await amy.get(f"/@{outsider.handle(TAKAHE)}")).text
    assert ">Unfollow<" not in page
    assert f'href="/@{outsider.handle(TAKAHE)}"' not in (await amy.get("/@amy/followers")).text


async def test_a_reject_of_an_accepted_follow_ends_it(
    people: dict[str, Person], outsider: Outsider
) -> None:
    olga = people["olga"]
    olgas_follow, _ = await follows_both_ways(olga, outsider)
    follow = {"id": olgas_follow, "type": "Follow", "actor": actor_of(olga)}
    reject = {
        **outsider.activity(TAKAHE, "Reject", {**follow, "object": outsider.actor(TAKAHE)}),
        "id": f"{outsider.actor(TAKAHE)}#rejects/follows/9",
    }  # what Mastodon sends when it removes a follower
    await tell(outsider, olga, reject)

    async def ended() -> bool:
        page = (await olga.get("/@olga/following")).text
        return f'href="/@{outsider.handle(TAKAHE)}"' not in page

    await eventually(ended, what="olga no longer follows the outsider")


async def test_a_profile_can_be_backfilled_from_its_collections(
    people: dict[str, Person],
) -> None:
    """As a server backfilling bob's profile: his outbox and followers, walked over HTTP
    from `first` through each `next`, hold what anyone may see, and as many as they say."""
    alice, bob = people["alice"], people["bob"]
    await alice.post(f"/@{bob.handle}/follow")
    for n in range(21):
        await bob.publish(f"backfill me {n}")
    await bob.publish("only for my followers", visibility="private")

    async with httpx.AsyncClient(headers={"accept": "application/activity+json"}) as client:
        outbox, items = await _walk(client, f"{actor_of(bob)}/outbox")
        followers, listed = await _walk(client, f"{actor_of(bob)}/followers")

    assert outbox["totalItems"] == len(items) == 21
    assert [item["object"]["content"] for item in items[:2]] == [
        "<p>backfill me 20</p>",
        "<p>backfill me 19</p>",
    ]
    assert all(item["type"] == "Create" and item["proof"] for item in items)
    assert "only for my followers" not in str(items)
    assert followers["totalItems"] == len(listed) == 1 and listed == [actor_of(alice)]


async def test_a_thread_carries_one_context_across_servers(people: dict[str, Person]) -> None:
    """What microblog.pub needs to thread replies to our posts and to vote in our polls: a
    `context` (and Mastodon's `conversation`) on each Note and Question, the same for the
    whole thread on every server, and served by the node where the thread started."""
    amy, bea = people["amy"], people["bea"]
    await amy.post(f"/@{bea.handle}/follow")
    question = await bea.publish(
        "Hedge or fence?",
        poll_option=["hedge", "fence"],  # type: ignore[arg-type]
        poll_expires_in="3600",
    )
    root = f"{actor_of(bea)}/statuses/{question}"
    home = await eventually(lambda: _page_if(amy, "/home", "Hedge or fence?"), what="poll on A")
    copy_id = re.search(rf'href="/@{re.escape(bea.handle)}/(\d+)"', home)
    assert copy_id, "bea's poll is not on amy's home page"
    reply_id = await amy.publish(f"@{bea.handle} hedge, surely", in_reply_to_id=copy_id.group(1))

    async with httpx.AsyncClient(headers={"accept": "application/activity+json"}) as client:
        poll = (await client.get(root)).json()
        reply = (await client.get(f"{actor_of(amy)}/statuses/{reply_id}")).json()
        context = poll["context"]
        assert poll["type"] == "Question" and context == f"{bea.node.url}/contexts/{question}"
        assert poll["conversation"] == reply["context"] == reply["conversation"] == context

        async def thread_served() -> list[str] | None:
            collection, items = await _walk(client, context)
            assert collection["attributedTo"] == actor_of(bea)
            return items if len(items) == 2 else None

        items = await eventually(thread_served, what="the reply in bea's context collection")
    assert items == [root, reply["id"]]


async def _page_if(person: Person, path: str, text: str) -> str | None:
    page = await person.get(path)
    return page.text if page.status_code == 200 and text in page.text else None


async def _walk(client: httpx.AsyncClient, url: str) -> tuple[dict[str, Any], list[Any]]:
    collection = (await client.get(url)).json()
    items, link = [], collection["first"]
    while link:
        found = (await client.get(link)).json()
        assert found["partOf"] == url
        items += found["orderedItems"]
        link = found.get("next")
    return collection, items


async def _answered(outsider: Outsider, kind: str, follow_id: str) -> bool:
    return any(_object_id(activity) == follow_id for activity in outsider.received(kind))


def _object_id(activity: dict[str, Any]) -> Any:
    obj = activity.get("object")
    return obj.get("id") if isinstance(obj, dict) else obj


async def _first(outsider: Outsider, kind: str) -> dict[str, Any] | None:
    found = outsider.received(kind)
    return found[0] if found else None


async def _has(person: Person, path: str, text: str) -> bool:
    page = await person.get(path)
    return page.status_code == 200 and text in page.text

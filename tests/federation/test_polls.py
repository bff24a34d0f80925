"""A poll across two real nodes: made on one, voted on from the other, counted where it lives,
and closed there, the final counts and the `poll` notifications reaching both sides.

alice lives on one node (SQLite), bob on another (PostgreSQL when it is available). Both
nodes let polls last a few seconds (`poll_min_expiry_seconds`) so that one is seen ending.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.addresses import loopback
from tests.databases import DatabaseFactory, postgres_available
from tests.federation.helpers import Person, eventually, prepare_node
from tests.integration.helpers import backend_env
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_polls")]
OPEN_FOR = 12  # seconds: long enough for the post to travel and the vote to come back
SHORT_POLLS = {"BOCAGE_POLL_MIN_EXPIRY_SECONDS": "5"}


@pytest.fixture(scope="module")
def poll_nodes(
    tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory
) -> Iterator[list[NodeProcess]]:
    root: Path = tmp_path_factory.mktemp("federated-polls")
    with_postgres = postgres_available() or os.environ.get("CI") == "true"
    second = backend_env("postgresql", databases) if with_postgres else {}
    made = [
        prepare_node(root, loopback(0, 2), ["alice", "amy"], SHORT_POLLS),
        prepare_node(root, loopback(0, 3), ["bob"], {**second, **SHORT_POLLS}),
    ]
    with running(*made):
        yield made


@pytest.fixture
async def people(poll_nodes: list[NodeProcess]) -> AsyncIterator[dict[str, Person]]:
    homes = {"alice": 0, "amy": 0, "bob": 1}
    found = {name: await Person(poll_nodes[i], name).login() for name, i in homes.items()}
    yield found
    for person in found.values():
        await person.close()


async def page_has(person: Person, path: str, *texts: str) -> str | None:
    page = await person.get(path)
    ok = page.status_code == 200 and all(text in page.text for text in texts)
    return page.text if ok else None


async def test_a_poll_voted_from_another_node_counts_closes_and_tells_everyone(
    people: dict[str, Person],
) -> None:
    alice, amy, bob = people["alice"], people["amy"], people["bob"]
    await bob.post(f"/@{alice.handle}/follow")
    await eventually(
        lambda: page_has(bob, f"/@{alice.handle}", ">Unfollow<"), what="bob follows alice"
    )

    poll_id = await alice.publish(
        "Hedge or fence?",
        poll_option=["hedge", "fence"],  # type: ignore[arg-type]
        poll_expires_in=str(OPEN_FOR),
    )
    home = await eventually(
        lambda: page_has(bob, "/home", "Hedge or fence?", 'name="choice"'), what="poll on B"
    )
    match = re.search(rf'href="/@{re.escape(alice.handle)}/(\d+)"', home)
    assert match, "alice's poll is not on bob's home page"
    copy_id = match.group(1)

    # bob votes on B: the vote goes to alice's node, which counts it.
    await bob.post(f"/posts/{copy_id}/vote", {"choice": "0"})
    await amy.post(f"/posts/{poll_id}/vote", {"choice": "0"})
    await eventually(
        lambda: page_has(alice, f"/@alice/{poll_id}", "2 votes", "100%"),
        what="bob's vote counted on A",
    )
    # On B, bob sees his own vote at once (the counts from A come with its Updates).
    assert await page_has(bob, f"/@{alice.handle}/{copy_id}", "your vote")

    # The poll ends on A: alice and amy are told there, the final counts reach B, and bob is
    # told there.
    await eventually(
        lambda: page_has(alice, "/notifications", "Your poll has ended"),
        within=OPEN_FOR + 20,
        what="alice told her poll ended",
    )
    await eventually(
        lambda: page_has(amy, "/notifications", "that you voted in has ended"),
        what="amy told on A",
    )
    await eventually(
        lambda: page_has(bob, f"/@{alice.handle}/{copy_id}", "2 votes", "closed"),
        what="final counts on B",
    )
    await eventually(
        lambda: page_has(bob, "/notifications", "that you voted in has ended", alice.handle),
        what="bob told on B",
    )
    # Too late now, on either side.
    refused = await bob.submit(f"/posts/{copy_id}/vote", {"choice": "1"})
    assert refused.status_code == 303
    assert await page_has(alice, f"/@alice/{poll_id}", "2 votes")

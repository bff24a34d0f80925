"""GraphService: following a remote handle looks it up on its server first (outside the unit
of work), from the web button or called directly; an account named by id is found only while
it may be shown (the API's contract)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.core.accounts import accounts
from bocage.kernel.errors import NotFound
from bocage.node import Node
from bocage.store.models import Account, Follow
from tests.conftest import make_user
from tests.outsider import Outsider
from tests.services.conftest import client, csrf, log_in


def follows(node: Node, follower: Account) -> list[str]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(Account.uri)
            .join(Follow, Follow.target_id == Account.id)
            .where(Follow.follower_id == follower.id)
            .order_by(Account.uri)
        )
        return list(rows.scalars())


async def test_following_a_remote_handle_looks_it_up_first(
    app_node: Node, outside: Outsider
) -> None:
    alice = make_user(app_node, "alice")
    outcome = await app_node.services.graph.follow(alice, outside.handle("fern"))
    assert outcome.target.uri == outside.actor("fern")
    assert outcome.relationship.following or outcome.relationship.requested
    async with client(app_node) as browser:
        await log_in(browser, "alice")
        answer = await browser.post(f"/@{outside.handle('gale')}/follow", data=await csrf(browser))
        assert answer.status_code == 303, answer.text
    assert follows(app_node, alice) == [outside.actor("fern"), outside.actor("gale")]


async def test_a_target_by_id_must_be_shown(node: Node) -> None:
    alice, bob = make_user(node, "alice"), make_user(node, "bob")
    graph = node.services.graph
    outcome = await graph.mute(alice, bob.id)
    assert outcome.relationship.muting and outcome.target.id == bob.id
    with node.db.transaction() as session:
        accounts.set_suspended(session, "bob")
    with pytest.raises(NotFound) as refused:
        await graph.unmute(alice, bob.id)
    assert refused.value.message == "Record not found"
    with pytest.raises(NotFound):
        await graph.people("followers", bob.id, alice)
    # By name (the web's way), a suspended account is still found to act on.
    assert (await graph.unmute(alice, "bob")).relationship.muting is False


async def test_relationships_and_lists_read_through_the_service(node: Node) -> None:
    alice, bob, carol = (make_user(node, name) for name in ("alice", "bob", "carol"))
    graph = node.services.graph
    await graph.follow(alice, bob.id)
    await graph.follow(carol, bob.id)
    await graph.follow(alice, carol.id)
    found = dict(await graph.relationships(alice, [bob.id, carol.id, 0]))
    assert found[bob.id].following and not found[bob.id].followed_by
    assert [a.username for a in await graph.people("followers", bob.id, None)] == [
        "carol",
        "alice",
    ]
    familiar = dict(await graph.familiar_followers(alice, [bob.id]))
    assert [a.username for a in familiar[bob.id]] == ["carol"]

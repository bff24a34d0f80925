"""Pinned posts: own, visible posts only, at most five, each pin and unpin announced."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from bocage.core.timelines import pins, timelines
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, LogEntry
from tests.core.helpers import boost, fresh, post, user


def pin(node: Node, account_id: int, post_id: int, *, undo: bool = False) -> None:
    with node.db.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        (pins.unpin if undo else pins.pin)(session, node.ctx, account, post_id)


def test_pins_are_own_visible_posts_at_most_five_and_announced(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    mine = [post(node, alice, f"post {n}") for n in range(6)]
    secret = post(node, alice, "@bob psst", visibility="direct")
    theirs = post(node, bob, "bob's")
    for item in mine[:5]:
        pin(node, alice.id, item.id)
    pin(node, alice.id, mine[0].id)  # again: nothing changes
    with pytest.raises(InvalidInput, match="at most 5"):
        pin(node, alice.id, mine[5].id)
    with pytest.raises(InvalidInput, match="not direct ones"):
        pin(node, alice.id, secret.id)
    with pytest.raises(InvalidInput, match="not direct ones"):
        pin(node, bob.id, boost(node, bob, mine[5].id).id)
    with pytest.raises(NotFound):
        pin(node, alice.id, theirs.id)

    pin(node, alice.id, mine[0].id, undo=True)
    with node.db.snapshot() as session:
        shown = timelines.pinned(session, None, fresh(node, alice))
        assert [view.post.id for view in shown] == [m.id for m in reversed(mine[1:5])]
        announced = session.execute(
            select(LogEntry.activity_type, LogEntry.activity)
            .where(LogEntry.account_id == alice.id, LogEntry.activity_type.in_(("Add", "Remove")))
            .order_by(LogEntry.seq)
        ).all()
    assert [kind for kind, _ in announced] == ["Add"] * 5 + ["Remove"]
    last = orjson.loads(announced[-1][1])
    assert last["object"] == mine[0].uri and last["target"].endswith("/collections/featured")

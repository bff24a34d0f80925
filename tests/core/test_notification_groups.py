"""Group keys of notifications as Mastodon 4.3 makes them: by kind and post, in hour buckets
that a group keeps while its notifications come less than 12 hours apart and its first
bucket is less than 12 hours old; and a page of groups counted up to its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bocage.core.notifications import groups
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store.models import Notification
from tests.core.helpers import post, user

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
HOUR = int(T0.timestamp()) // 3600


def _notified(node: Node, recipient: int, sender: int, post_id: int, at: datetime) -> str:
    """A favourite notification written at `at`, with the key the rule gives it."""
    with node.db.transaction() as session:
        key = groups.key_for(session, recipient, "favourite", post_id, at)
        assert key is not None
        session.add(
            Notification(
                id=new_id(at), account_id=recipient, type="favourite", from_account_id=sender,
                post_id=post_id, created_at=at, read=False, dedup_key=f"t:{new_id()}",
                group_key=key, filtered=False,
            )
        )  # fmt: skip
    return key


def test_group_keys_and_their_twelve_hour_span(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    liked = post(node, alice, "like me")
    with node.db.snapshot() as session:
        assert groups.key_for(session, alice.id, "mention", liked.id, T0) is None
        assert groups.key_for(session, alice.id, "follow", None, T0) == f"follow-{HOUR}"
        assert groups.key_for(session, alice.id, "reblog", 7, T0) == f"reblog-7-{HOUR}"

    first = _notified(node, alice.id, bob.id, liked.id, T0)
    assert first == f"favourite-{liked.id}-{HOUR}"
    # 11 hours later, in another hour: still the same group.
    assert _notified(node, alice.id, bob.id, liked.id, T0 + timedelta(hours=11)) == first
    # 13 hours after the group's hour began (2 after its last one): a new group.
    third = _notified(node, alice.id, bob.id, liked.id, T0 + timedelta(hours=13))
    assert third == f"favourite-{liked.id}-{HOUR + 13}"
    # Another post, or more than 12 hours of quiet, starts its own group.
    with node.db.snapshot() as session:
        other = groups.key_for(session, alice.id, "favourite", liked.id + 1, T0)
        assert other == f"favourite-{liked.id + 1}-{HOUR}"
        later = T0 + timedelta(hours=40)
        fresh = groups.key_for(session, alice.id, "favourite", liked.id, later)
        assert fresh == f"favourite-{liked.id}-{HOUR + 40}"


def test_a_page_of_groups_counts_up_to_its_end(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    liked = post(node, alice, "like me twice")
    _notified(node, alice.id, bob.id, liked.id, T0)
    _notified(node, alice.id, carol.id, liked.id, T0 + timedelta(minutes=5))
    grouping = groups.grouped_types(None)
    with node.db.snapshot() as session:
        clauses = [Notification.account_id == alice.id]
        newest_first = list(
            session.execute(
                select(Notification.id).where(*clauses).order_by(Notification.id.desc())
            ).scalars()
        )
        [whole], ids = groups.page_of_groups(session, alice.id, clauses, 40, grouping)
        assert ids == newest_first[:1]  # the page holds the group's newest
        assert (whole.count, whole.sample_account_ids) == (2, [carol.id, bob.id])
        assert (whole.most_recent_id, whole.page_min_id) == tuple(newest_first)
        # Below the newest: the same group, counted up to the page's end (bob's alone).
        [older], _ = groups.page_of_groups(
            session, alice.id, clauses, 40, grouping, max_id=whole.most_recent_id
        )
        assert (older.count, older.sample_account_ids) == (1, [bob.id])
        assert older.key == whole.key
        # Grouping nothing: each its own group.
        apart, _ = groups.page_of_groups(session, alice.id, clauses, 40, frozenset())
        assert [g.key for g in apart] == [f"ungrouped-{i}" for i in newest_first]

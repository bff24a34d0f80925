"""Follow options in the home fan-out (boosts hidden, languages, `status` notifications),
relationships, familiar followers, endorsements, private notes and featured tags."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from bocage.core.accounts import account_notes, endorsements, featured_tags, moves
from bocage.core.graph import graph
from bocage.core.graph.graph import FollowOptions
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, Endorsement, FollowOption, Job, LogEntry
from tests.core.helpers import boost, notifications_of, post, reply, user


def follow(node: Node, follower: Account, target: Account, **options: object) -> None:
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, follower, target, options=FollowOptions(**options))  # type: ignore[arg-type]


async def home(node: Node, viewer: Account) -> list[str]:
    """What the viewer's home shows once the fan-out ran: text, or "↻ text" for a boost."""
    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        views = timelines.home(session, viewer, Page(limit=40))
    return [f"↻ {v.reblog.post.source}" if v.reblog else v.post.source for v in views]


def relation(node: Node, viewer: Account, target: Account) -> graph.Relationship:
    with node.db.snapshot() as session:
        return graph.relationship(session, viewer.id, target.id)


def option_rows(node: Node) -> int:
    with node.db.snapshot() as session:
        return int(session.execute(select(func.count()).select_from(FollowOption)).scalar_one())


async def test_hidden_boosts_and_languages_stay_out_of_home(node: Node) -> None:
    alice, bob, carol, dave = (user(node, n) for n in ("alice", "bob", "carol", "dave"))
    follow(node, alice, bob, reblogs=False)
    follow(node, alice, carol, languages=("fr",))
    follow(node, dave, bob)  # defaults: no options row at all
    follow(node, dave, carol)
    assert option_rows(node) == 2
    from_dave = post(node, dave, "dave public")
    boost(node, bob, from_dave.id)
    post(node, bob, "bob own post")
    post(node, carol, "en anglais", language="en")
    post(node, carol, "en français", language="fr")
    post(node, carol, "sans langue")
    boost(node, carol, from_dave.id)
    assert await home(node, alice) == [
        "↻ dave public",  # carol's boost: a boost has no language of its own
        "sans langue",
        "en français",
        "bob own post",
    ]
    assert await home(node, dave) == [
        "↻ dave public",
        "sans langue",
        "en français",
        "en anglais",
        "bob own post",
        "↻ dave public",  # bob's boost reaches dave, who hides nothing
        "dave public",
    ]


async def test_options_change_on_follow_again_and_shape_the_backfill(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob", locked=True)
    carol = user(node, "carol")
    post(node, bob, "older post", language="de")
    post(node, bob, "older post in english", language="en")
    follow(node, alice, bob, reblogs=False, notify=True, languages=("en",))
    assert relation(node, alice, bob) == graph.Relationship(
        requested=True, showing_reblogs=False, notifying=True, languages=["en"]
    )
    with node.db.transaction() as session:
        graph.accept_request(session, node.ctx, bob, alice.id)
    # The backfill of a new follow obeys its options too.
    assert await home(node, alice) == ["older post in english"]
    follow(node, alice, bob, notify=False)  # only what is given changes
    assert relation(node, alice, bob) == graph.Relationship(
        following=True, showing_reblogs=False, languages=["en"]
    )
    follow(node, alice, bob, reblogs=True, languages=())  # back to the defaults: no row
    assert relation(node, alice, bob) == graph.Relationship(following=True, showing_reblogs=True)
    assert option_rows(node) == 0
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            graph.follow(
                session, node.ctx, alice, carol, options=FollowOptions(languages=("english!",))
            )
    # Unfollowing takes the options (and an endorsement) with the follow.
    follow(node, alice, bob, notify=True)
    with node.db.transaction() as session:
        endorsements.endorse(session, alice, bob)
        graph.unfollow(session, node.ctx, alice, bob)
    assert option_rows(node) == 0
    with node.db.snapshot() as session:
        assert session.execute(select(func.count()).select_from(Endorsement)).scalar() == 0


async def test_notify_sends_a_status_notification_once_per_post(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    follow(node, alice, bob, notify=True)
    follow(node, carol, bob)  # no notice asked
    first = post(node, bob, "a new post")
    thread = reply(node, bob, first, "continuing my own thread")
    to_carol = post(node, carol, "carol speaks")
    reply(node, bob, to_carol, "@carol an answer to someone else")
    boost(node, bob, to_carol.id)
    post(node, bob, "@carol only for carol", visibility="direct")
    followers_only = post(node, bob, "for followers", visibility="private")
    await node.worker.run_until_idle()
    assert notifications_of(node, alice) == sorted(
        ("status", bob.id, p.id) for p in (first, thread, followers_only)
    )
    assert [n for n in notifications_of(node, carol) if n[0] == "status"] == []
    # A fan-out job that runs again (its completion lost) does not notify twice.
    with node.db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.kind == "post.created")
            .values(state="queued", run_after=now(), finished_at=None)
        )
    await node.worker.run_until_idle()
    assert len(notifications_of(node, alice)) == 3
    # A mute silences them, as any other notification.
    with node.db.transaction() as session:
        graph.mute(session, alice, bob)
    post(node, bob, "while muted")
    await node.worker.run_until_idle()
    assert len(notifications_of(node, alice)) == 3


async def test_a_move_keeps_the_follow_options(node: Node) -> None:
    alice, old, new = user(node, "alice"), user(node, "old"), user(node, "new")
    follow(node, alice, old, reblogs=False, notify=True)
    with node.db.transaction() as session:
        fresh_new = session.get(Account, new.id)
        assert fresh_new is not None
        fresh_new.also_known_as = [old.uri]
    with node.db.transaction() as session:
        moving, target = session.get(Account, old.id), session.get(Account, new.id)
        assert moving is not None and target is not None
        moves.move(session, node.ctx, moving, target)
    assert relation(node, alice, new) == graph.Relationship(
        following=True, showing_reblogs=False, notifying=True
    )
    assert relation(node, alice, old) == graph.Relationship()


def test_relationships_in_a_batch_and_familiar_followers(node: Node) -> None:
    alice, bob, carol, dave = (user(node, n) for n in ("alice", "bob", "carol", "dave"))
    follow(node, alice, bob)
    follow(node, alice, carol)
    follow(node, bob, dave)
    follow(node, carol, dave)
    follow(node, dave, alice)
    with node.db.transaction() as session:
        account_notes.set_note(session, alice, dave, "met at the market")
        endorsements.endorse(session, alice, bob)
        with pytest.raises(InvalidInput):
            endorsements.endorse(session, alice, dave)  # not followed
        graph.block(session, node.ctx, carol, alice)
    with node.db.snapshot() as session:
        found = graph.relationships(session, alice.id, [bob.id, carol.id, dave.id, bob.id])
        familiar = graph.familiar_followers(session, alice.id, [dave.id, bob.id])
    assert list(found) == [bob.id, carol.id, dave.id]
    assert found[bob.id] == graph.Relationship(following=True, showing_reblogs=True, endorsed=True)
    assert found[carol.id] == graph.Relationship(blocked_by=True)  # the block ended the follow
    assert found[dave.id] == graph.Relationship(followed_by=True, note="met at the market")
    assert [a.username for a in familiar[dave.id]] == ["bob"]  # carol's follow went
    assert familiar[bob.id] == []
    with node.db.transaction() as session:
        account_notes.set_note(session, alice, dave, "  ")  # blank: no note
        with pytest.raises(InvalidInput):
            account_notes.set_note(session, alice, dave, "x" * 2001)
    assert relation(node, alice, dave).note == ""


def test_endorsements_page_newest_first(node: Node) -> None:
    alice = user(node, "alice")
    others = [user(node, f"friend{n}") for n in range(3)]
    for other in others:
        follow(node, alice, other)
        with node.db.transaction() as session:
            endorsements.endorse(session, alice, other)
            endorsements.endorse(session, alice, other)  # twice: still one
    with node.db.snapshot() as session:
        first = endorsements.endorsed(session, alice.id, Page(limit=2))
        rest = endorsements.endorsed(session, alice.id, Page(max_id=first[-1][0], limit=2))
    assert [a.username for _, a in first + rest] == ["friend2", "friend1", "friend0"]


def test_featured_tags(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    post(node, alice, "#Gardening and #hedges")
    post(node, alice, "more #gardening")
    latest = post(node, alice, "#gardening #compost", visibility="unlisted")
    post(node, alice, "private #gardening", visibility="private")  # not counted
    post(node, bob, "#gardening too")  # someone else's
    with node.db.transaction() as session:
        featured = featured_tags.feature(session, node.ctx, alice, "#Gardening")
        for bad in ("", "not a tag", "123"):
            with pytest.raises(InvalidInput):
                featured_tags.feature(session, node.ctx, alice, bad)
        with pytest.raises(InvalidInput, match="already been taken"):
            featured_tags.feature(session, node.ctx, alice, "GARDENING")
        featured_tags.feature(session, node.ctx, alice, "birds")
    assert (featured.name, featured.statuses_count) == ("Gardening", 3)
    assert featured.last_status_at == latest.created_at
    with node.db.snapshot() as session:
        mine = featured_tags.of_account(session, alice.id)
        assert [(t.name, t.statuses_count) for t in mine] == [("Gardening", 3), ("birds", 0)]
        assert featured_tags.suggestions(session, alice.id) == ["compost", "hedges"]
        kinds = session.execute(
            select(LogEntry.activity_type).where(LogEntry.account_id == alice.id)
        ).scalars()
        assert list(kinds).count("Add") == 2
    with node.db.transaction() as session:
        for n in range(8):
            featured_tags.feature(session, node.ctx, alice, f"tag{n}x")
        with pytest.raises(InvalidInput, match="maximum"):
            featured_tags.feature(session, node.ctx, alice, "eleventh")
        with pytest.raises(NotFound):
            featured_tags.unfeature(session, node.ctx, bob, featured.id)  # not bob's
        featured_tags.unfeature(session, node.ctx, alice, featured.id)
    with node.db.snapshot() as session:
        assert "Gardening" not in [t.name for t in featured_tags.of_account(session, alice.id)]

"""Lists: their timelines written on fan-out (replies policies, exclusive lists, backfill of a
new member, unfollows), the rules of membership, and markers."""

from __future__ import annotations

import threading
import time

import pytest

from bocage.core.accounts import moves
from bocage.core.graph import graph, lists
from bocage.core.notifications import notifications
from bocage.core.reading import markers
from bocage.core.timelines.timelines import Page, PostView
from bocage.kernel.errors import Conflict, InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, Marker, Notification, UserList
from tests.core.helpers import boost, follow, post, reply, suspend, user


def shown(views: list[PostView]) -> list[str]:
    return [f"↻ {view.reblog.post.source}" if view.reblog else view.post.source for view in views]


def new_list(node: Node, owner: Account, title: str = "Friends", **rules: object) -> UserList:
    with node.db.transaction() as session:
        return lists.create(session, owner.id, title, **rules)  # type: ignore[arg-type]


def add(node: Node, owner: Account, row: UserList, *people: Account) -> None:
    with node.db.transaction() as session:
        lists.add_members(session, owner.id, row.id, [person.id for person in people])


def remove(node: Node, owner: Account, row: UserList, *people: Account) -> None:
    with node.db.transaction() as session:
        lists.remove_members(session, owner.id, row.id, [person.id for person in people])


async def list_timeline(node: Node, owner: Account, row: UserList) -> list[str]:
    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        return shown(lists.timeline(session, owner, row.id, Page(limit=40)))


async def home(node: Node, viewer: Account) -> list[str]:
    from bocage.core.timelines import timelines

    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        return shown(timelines.home(session, viewer, Page(limit=40)))


async def test_a_list_shows_its_members_posts_and_boosts(node: Node) -> None:
    alice, bob, carol, dave = (user(node, name) for name in ("alice", "bob", "carol", "dave"))
    follow(node, alice, bob)
    follow(node, alice, carol)
    friends = new_list(node, alice)
    add(node, alice, friends, bob)

    bob_public = post(node, bob, "bob public")
    post(node, bob, "bob followers only", visibility="private")
    post(node, bob, "bob to alice @alice", visibility="direct")
    post(node, carol, "carol public")
    from_dave = post(node, dave, "dave public")
    boost(node, bob, from_dave.id)
    post(node, alice, "alice own")

    assert await list_timeline(node, alice, friends) == [
        "↻ dave public",
        "bob followers only",
        "bob public",
    ]
    # Not exclusive: the home feed has them all, as before.
    assert await home(node, alice) == [
        "alice own",
        "↻ dave public",
        "carol public",
        "bob to alice @alice",
        "bob followers only",
        "bob public",
    ]
    with node.db.snapshot() as session:
        assert lists.containing(session, from_dave.id) == []
        assert lists.containing(session, bob_public.id) == [(friends.id, alice.id)]
    with node.db.transaction() as session:
        lists.delete_list(session, alice.id, friends.id)
    with node.db.snapshot() as session:
        assert lists.containing(session, bob_public.id) == []  # its timeline went with it
        assert lists.lists_with(session, alice.id, bob.id) == []


async def test_replies_policies(node: Node) -> None:
    alice, bob, carol, dave = (user(node, name) for name in ("alice", "bob", "carol", "dave"))
    for person in (bob, carol):
        follow(node, alice, person)
    followed = new_list(node, alice, "followed", replies_policy="followed")
    listed = new_list(node, alice, "list", replies_policy="list")
    with_carol = new_list(node, alice, "list with carol")  # the default policy: list
    nothing = new_list(node, alice, "none", replies_policy="none")
    for row in (followed, listed, nothing):
        add(node, alice, row, bob)
    add(node, alice, with_carol, bob, carol)

    to_carol = post(node, carol, "carol asks")
    to_dave = post(node, dave, "dave asks")
    to_alice = post(node, alice, "alice asks")
    own = post(node, bob, "bob starts a thread")
    reply(node, bob, to_carol, "bob answers carol")
    reply(node, bob, to_dave, "bob answers dave")
    reply(node, bob, to_alice, "bob answers alice")
    reply(node, bob, own, "bob goes on")

    assert await list_timeline(node, alice, followed) == [
        "bob goes on",
        "bob answers alice",
        "bob answers carol",  # Alice follows Carol
        "bob starts a thread",
    ]
    assert await list_timeline(node, alice, listed) == [
        "bob goes on",
        "bob answers alice",
        "bob starts a thread",
    ]
    assert await list_timeline(node, alice, with_carol) == [
        "bob goes on",
        "bob answers alice",
        "bob answers carol",  # Carol is on this one
        "bob starts a thread",
        "carol asks",
    ]
    assert await list_timeline(node, alice, nothing) == [
        "bob goes on",
        "bob answers alice",  # a reply to the list's owner always shows
        "bob starts a thread",
    ]


async def test_adding_a_member_backfills_by_the_same_rules(node: Node) -> None:
    alice, bob, dave = (user(node, name) for name in ("alice", "bob", "dave"))
    follow(node, alice, bob)
    asked = post(node, dave, "dave asks")
    post(node, bob, "bob earlier")
    reply(node, bob, asked, "bob answers dave")
    post(node, bob, "bob privately", visibility="private")
    post(node, bob, "bob to dave @dave", visibility="direct")
    await node.worker.run_until_idle()

    friends = new_list(node, alice)  # replies policy "list": the reply to Dave stays out
    add(node, alice, friends, bob)
    assert await list_timeline(node, alice, friends) == ["bob privately", "bob earlier"]

    remove(node, alice, friends, bob)
    assert await list_timeline(node, alice, friends) == []
    with node.db.snapshot() as session:
        assert lists.members(session, alice.id, friends.id) == []


async def test_one_can_put_oneself_on_a_list(node: Node) -> None:
    alice = user(node, "alice")
    post(node, alice, "before")
    mine = new_list(node, alice, exclusive=True)
    add(node, alice, mine, alice)
    post(node, alice, "after")
    assert await list_timeline(node, alice, mine) == ["after", "before"]
    assert await home(node, alice) == ["after", "before"]  # exclusive never hides one's own


async def test_exclusive_lists_keep_their_members_out_of_the_home_feed(node: Node) -> None:
    alice, bob, carol = (user(node, name) for name in ("alice", "bob", "carol"))
    follow(node, alice, bob)
    follow(node, alice, carol)
    post(node, bob, "bob before")
    post(node, carol, "carol before")
    quiet = new_list(node, alice, "quiet", exclusive=True)
    other = new_list(node, alice, "other", exclusive=True)
    add(node, alice, quiet, bob)
    assert await home(node, alice) == ["carol before"]  # at once, as a mute

    post(node, bob, "bob to alice @alice", visibility="direct")
    post(node, bob, "bob after")
    post(node, alice, "alice own")
    assert await home(node, alice) == ["alice own", "carol before"]
    assert await list_timeline(node, alice, quiet) == ["bob after", "bob before"]
    assert await home(node, bob) == ["bob after", "bob to alice @alice", "bob before"]

    add(node, alice, other, bob)
    remove(node, alice, quiet, bob)
    assert "bob after" not in await home(node, alice)  # still on another exclusive list

    with node.db.transaction() as session:
        lists.update(session, alice.id, other.id, exclusive=False)
    assert await home(node, alice) == ["alice own", "bob after", "carol before", "bob before"]

    with node.db.transaction() as session:
        lists.update(session, alice.id, other.id, exclusive=True)
    assert "bob after" not in await home(node, alice)
    with node.db.transaction() as session:
        lists.delete_list(session, alice.id, other.id)
    assert "bob after" in await home(node, alice)


async def test_unfollowing_and_blocking_take_accounts_off_lists(node: Node) -> None:
    alice, bob, carol = (user(node, name) for name in ("alice", "bob", "carol"))
    follow(node, alice, bob)
    follow(node, alice, carol)
    friends = new_list(node, alice)
    add(node, alice, friends, bob, carol)
    post(node, bob, "bob")
    post(node, carol, "carol")
    assert await list_timeline(node, alice, friends) == ["carol", "bob"]

    with node.db.transaction() as session:
        graph.unfollow(session, node.ctx, alice, bob)
    with node.db.transaction() as session:
        graph.block(session, node.ctx, carol, alice)  # removes Alice's follow of Carol
    assert await list_timeline(node, alice, friends) == []
    with node.db.snapshot() as session:
        assert lists.members(session, alice.id, friends.id) == []
        assert lists.lists_with(session, alice.id, bob.id) == []


async def test_a_pending_follow_request_makes_a_member_that_waits(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob", locked=True), user(node, "carol")
    follow(node, alice, bob)  # a request
    friends = new_list(node, alice)
    add(node, alice, friends, bob)
    post(node, bob, "bob for followers", visibility="private")
    assert await list_timeline(node, alice, friends) == []

    with node.db.transaction() as session:
        graph.accept_request(session, node.ctx, bob, alice.id)
    assert await list_timeline(node, alice, friends) == ["bob for followers"]

    carol_locked = user(node, "dave", locked=True)
    follow(node, carol, carol_locked)
    theirs = new_list(node, carol)
    add(node, carol, theirs, carol_locked)
    with node.db.transaction() as session:
        graph.reject_request(session, node.ctx, carol_locked, carol.id)
    with node.db.snapshot() as session:
        assert lists.members(session, carol.id, theirs.id) == []


async def test_a_moved_account_is_replaced_by_its_new_one(node: Node) -> None:
    alice, old, new = (user(node, name) for name in ("alice", "bob", "newbob"))
    follow(node, alice, old)
    friends = new_list(node, alice, exclusive=True)
    add(node, alice, friends, old)
    post(node, new, "from the new account")
    with node.db.transaction() as session:
        moves.set_aliases(session, node.ctx, new, [old.uri])
    with node.db.transaction() as session:
        moves.move(session, node.ctx, old, new)
    with node.db.snapshot() as session:
        assert [a.username for a in lists.members(session, alice.id, friends.id)] == ["newbob"]
    assert await list_timeline(node, alice, friends) == ["from the new account"]
    assert await home(node, alice) == []  # still on an exclusive list


async def test_mutes_and_suspensions_apply_when_reading(node: Node) -> None:
    alice, bob, carol = (user(node, name) for name in ("alice", "bob", "carol"))
    follow(node, alice, bob)
    follow(node, alice, carol)
    friends = new_list(node, alice)
    add(node, alice, friends, bob, carol)
    post(node, bob, "bob")
    post(node, carol, "carol")
    with node.db.transaction() as session:
        graph.mute(session, alice, bob)
    assert await list_timeline(node, alice, friends) == ["carol"]
    suspend(node, carol)
    assert await list_timeline(node, alice, friends) == []
    with node.db.transaction() as session:
        graph.unmute(session, alice, bob)
    assert await list_timeline(node, alice, friends) == ["bob"]


def test_membership_rules(node: Node) -> None:
    alice, bob, carol = (user(node, name) for name in ("alice", "bob", "carol"))
    follow(node, alice, bob)
    friends = new_list(node, alice)
    with pytest.raises(InvalidInput, match="Account must be a followed account"):
        add(node, alice, friends, bob, carol)  # all or nothing
    with node.db.snapshot() as session:
        assert lists.members(session, alice.id, friends.id) == []
    add(node, alice, friends, bob)
    with pytest.raises(InvalidInput, match="Account is already on the list"):
        add(node, alice, friends, bob)
    with pytest.raises(NotFound), node.db.transaction() as session:
        lists.add_members(session, alice.id, friends.id, [12345])
    with pytest.raises(NotFound), node.db.transaction() as session:
        lists.add_members(session, bob.id, friends.id, [alice.id])  # Alice's list, not Bob's
    with pytest.raises(NotFound), node.db.snapshot() as session:
        lists.timeline(session, bob, friends.id, Page())
    with node.db.snapshot() as session:
        assert [row.id for row in lists.lists_with(session, alice.id, bob.id)] == [friends.id]
        assert lists.lists_with(session, bob.id, bob.id) == []
        with pytest.raises(NotFound):
            lists.lists_with(session, alice.id, 12345)


def test_list_rules(node: Node) -> None:
    alice = user(node, "alice")
    with pytest.raises(InvalidInput, match="Title can't be blank"):
        new_list(node, alice, "  ")
    with pytest.raises(InvalidInput, match="'some' is not a valid replies_policy"):
        new_list(node, alice, "x", replies_policy="some")
    row = new_list(node, alice, "first", replies_policy="followed")
    with node.db.transaction() as session:
        changed = lists.update(session, alice.id, row.id, title="renamed")
        assert (changed.title, changed.replies_policy, changed.exclusive) == (
            "renamed",
            "followed",
            False,
        )
    for n in range(lists.MAX_LISTS - 1):
        new_list(node, alice, f"list {n}")
    with pytest.raises(InvalidInput, match="maximum number of lists"):
        new_list(node, alice, "one too many")
    with node.db.transaction() as session:
        lists.delete_list(session, alice.id, row.id)
    with node.db.snapshot() as session:
        assert len(lists.of_owner(session, alice.id)) == lists.MAX_LISTS - 1


# --- markers -------------------------------------------------------------------------------


def test_markers_count_their_moves(node: Node) -> None:
    alice = user(node, "alice")
    with node.db.transaction() as session:
        assert markers.get(session, alice.id, ["home", "notifications"]) == {}
        saved = markers.save(session, alice.id, {"home": 100, "elsewhere": 5})
        assert list(saved) == ["home"]
        assert (saved["home"].last_read_id, saved["home"].version) == (100, 1)
    with node.db.transaction() as session:
        assert markers.save(session, alice.id, {"home": 100})["home"].version == 1  # no move
        assert markers.save(session, alice.id, {"home": 90})["home"].version == 2  # back: ok
    with node.db.snapshot() as session:
        found = markers.get(session, alice.id, ["home", "notifications", "nope"])
        assert {name: (m.last_read_id, m.version) for name, m in found.items()} == {"home": (90, 2)}


def test_the_notifications_marker_and_the_read_state_agree(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    with node.db.transaction() as session:
        assert notifications.create(session, alice.id, "follow", bob.id, None, "one")
        assert notifications.create(session, alice.id, "mention", bob.id, None, "two")
    with node.db.snapshot() as session:
        first, second = (row.id for row in notifications.page(session, alice)[::-1])
    with node.db.transaction() as session:
        markers.save(session, alice.id, {"notifications": first})
    with node.db.snapshot() as session:
        assert notifications.unread_count(session, alice.id) == 1
        assert session.get(Notification, first).read  # type: ignore[union-attr]
    with node.db.transaction() as session:
        notifications.mark_all_read(session, alice.id)
    with node.db.snapshot() as session:
        assert notifications.unread_count(session, alice.id) == 0
        marker = markers.get(session, alice.id, ["notifications"])["notifications"]
        assert (marker.last_read_id, marker.version) == (second, 2)


# Only PostgreSQL runs writers in parallel: on SQLite, saves cannot race.
@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_save_that_loses_a_race_is_refused(node: Node, backend: str) -> None:
    """Two apps save the same marker at once: the one that read a stale version gets a
    Conflict (409), as on Mastodon."""
    alice = user(node, "alice")
    with node.db.transaction() as session:
        markers.save(session, alice.id, {"home": 1})
    first_saved, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def first() -> None:
        with node.db.transaction() as session:
            markers.save(session, alice.id, {"home": 2})
            first_saved.set()
            release.wait(10)

    def second() -> None:
        try:
            with node.db.transaction() as session:
                markers.save(session, alice.id, {"home": 3})
            outcome.append("saved")
        except Conflict as exc:
            outcome.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_saved.wait(10)
    threads[1].start()
    time.sleep(0.5)  # the second save waits on the first one's row lock
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    with node.db.snapshot() as session:
        row = session.get(Marker, (alice.id, "home"))
        assert row is not None and (row.last_read_id, row.version) == (2, 2)

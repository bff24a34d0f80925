"""The node as a community: settings, the first-admin setup link, invites."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from bocage.core.instance import instance
from bocage.crypto.keys import RsaKey
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.node import Node
from bocage.store.models import Invite, User
from tests.core.helpers import user


def test_settings(node: Node) -> None:
    with node.db.snapshot() as session:
        assert instance.info(session) == instance.InstanceInfo(
            name="Bocage", description="", rules=[], registration_mode="approval"
        )
    with node.db.transaction() as session:
        saved = instance.update_info(
            session,
            name="  Hedgerow  ",
            description="  A small node.  ",
            rules=["Be kind", "   ", " No spam "],
            registration_mode="open",
        )
    assert saved == instance.InstanceInfo(
        "Hedgerow", "A small node.", [instance.Rule("Be kind"), instance.Rule("No spam")], "open"
    )
    with node.db.snapshot() as session:
        assert instance.info(session) == saved
    with node.db.transaction() as session:
        instance.update_info(
            session, name="Renamed", description="", rules=[], registration_mode="closed"
        )
    with node.db.snapshot() as session:
        assert instance.info(session) == instance.InstanceInfo("Renamed", "", [], "closed")

    # Invalid settings are refused and change nothing.
    good = {"name": "Node", "description": "", "rules": [], "registration_mode": "open"}
    bad_changes: list[dict[str, object]] = [
        {"name": "   "},
        {"name": "n" * 101},
        {"description": "d" * 5001},
        {"registration_mode": "everyone"},
        {"rules": ["r" * 501]},
        {"rules": [f"rule {n}" for n in range(51)]},
    ]
    for change in bad_changes:
        with node.db.transaction() as session:
            with pytest.raises(InvalidInput):
                instance.update_info(session, **{**good, **change})  # type: ignore[arg-type]
    with node.db.snapshot() as session:
        assert (instance.info(session)).name == "Renamed"
    with node.db.transaction() as session:
        edge = instance.update_info(
            session,
            name="n" * 100,
            description="d" * 5000,
            rules=["r" * 500] * 50,
            registration_mode="invite",
        )
    assert len(edge.rules) == 50


def test_setup_token(node: Node) -> None:
    with node.db.transaction() as session:
        old = instance.new_setup_token(session)
        token = instance.new_setup_token(session)  # replaces the old one
    with node.db.snapshot() as session:
        assert instance.setup_token_valid(session, token)
        assert not instance.setup_token_valid(session, old)
        assert not instance.setup_token_valid(session, "guess")
    with node.db.transaction() as session:
        assert not instance.consume_setup_token(session, old)
        assert instance.consume_setup_token(session, token)
    with node.db.transaction() as session:
        assert not instance.consume_setup_token(session, token)  # one time only
    with node.db.snapshot() as session:
        assert not instance.setup_token_valid(session, token)

    # Once an admin exists, a setup token is useless.
    with node.db.transaction() as session:
        token = instance.new_setup_token(session)
        assert instance.setup_token_valid(session, token)
        assert not instance.has_admin(session)
    user(node, "boss", admin=True)
    with node.db.transaction() as session:
        assert instance.has_admin(session)
        assert not instance.setup_token_valid(session, token)
        assert not instance.consume_setup_token(session, token)


def test_invites(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    with node.db.transaction() as session:
        creator = session.get(User, alice.id)
        other = session.get(User, bob.id)
        assert creator is not None and other is not None
        forever = instance.create_invite(session, creator, max_uses=None, expires_in=None)
        limited = instance.create_invite(session, creator, max_uses=2, expires_in=timedelta(days=1))
    assert forever.code != limited.code
    assert len(forever.code) >= 12
    assert forever.expires_at is None and forever.max_uses is None
    assert limited.expires_at is not None
    assert timedelta(hours=23) < limited.expires_at - now() <= timedelta(days=1)
    with node.db.transaction() as session:
        assert {i.code for i in instance.list_invites(session, creator)} == {
            forever.code,
            limited.code,
        }
        assert instance.list_invites(session, other) == []
        instance.use_invite(session, limited.code)
        instance.use_invite(session, limited.code)
        with pytest.raises(InvalidInput):
            instance.use_invite(session, limited.code)
        instance.revoke_invite(session, other, forever.code)  # not bob's to revoke
        instance.use_invite(session, forever.code)
        instance.revoke_invite(session, creator, forever.code)
        with pytest.raises(InvalidInput):
            instance.use_invite(session, forever.code)
    with node.db.snapshot() as session:
        stored = session.get(Invite, limited.code)
        assert stored is not None and stored.uses == 2


def test_invite_usable() -> None:
    moment = now()

    def invite(**values: object) -> Invite:
        base: dict[str, object] = {
            "code": "c",
            "created_by": 1,
            "created_at": moment,
            "expires_at": None,
            "max_uses": None,
            "uses": 0,
            "revoked": False,
        }
        base.update(values)
        return Invite(**base)

    assert instance.invite_usable(invite(), moment)
    assert not instance.invite_usable(None, moment)
    assert not instance.invite_usable(invite(revoked=True), moment)
    assert not instance.invite_usable(invite(expires_at=moment), moment)
    assert instance.invite_usable(invite(expires_at=moment + timedelta(seconds=1)), moment)
    assert not instance.invite_usable(invite(max_uses=3, uses=3), moment)
    assert instance.invite_usable(invite(max_uses=3, uses=2), moment)


def _make_key(node: Node) -> RsaKey:
    with node.db.transaction() as session:
        return instance.make_instance_key(session, node.ctx.keyring)


def _until_it_waits_or_ends(node: Node, other: Future[RsaKey]) -> None:
    """Until the other transaction waits on a lock held by this one, or has ended (SQLite
    has one writer: the other one cannot even begin before this one ends)."""
    if node.db.dialect != "postgresql":
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while not other.done() and time.monotonic() < deadline:
        with node.db.snapshot() as session:
            if session.execute(query).scalar_one():
                return
        time.sleep(0.02)


def test_two_first_uses_of_the_instance_key_agree(node: Node) -> None:
    """Two requests that need the node's own key at once (two inbox deliveries whose senders'
    keys must be fetched, or the web and worker processes) each find none yet: both end with
    the one key stored, not with an error (on PostgreSQL one of them answered 500)."""
    with ThreadPoolExecutor(1) as pool:
        with node.db.transaction() as session:
            mine = instance.make_instance_key(session, node.ctx.keyring)
            theirs = pool.submit(_make_key, node)
            _until_it_waits_or_ends(node, theirs)
        assert theirs.result(timeout=30) == mine
    with node.db.snapshot() as session:
        assert instance.instance_key(session) == mine

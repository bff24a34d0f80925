"""The node as a community: settings, the first-admin setup link, invites."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bocage.core import instance
from bocage.core.clock import now
from bocage.core.errors import InvalidInput
from bocage.node import Node
from bocage.store.models import Invite, User
from tests.core.helpers import user


async def test_settings(node: Node) -> None:
    async with node.db.read() as session:
        assert await instance.info(session) == instance.InstanceInfo(
            name="Bocage", description="", rules=[], registration_mode="approval"
        )
    async with node.db.write() as session:
        saved = await instance.update_info(
            session,
            name="  Hedgerow  ",
            description="  A small node.  ",
            rules=["Be kind", "   ", " No spam "],
            registration_mode="open",
        )
    assert saved == instance.InstanceInfo(
        "Hedgerow", "A small node.", ["Be kind", "No spam"], "open"
    )
    async with node.db.read() as session:
        assert await instance.info(session) == saved
    async with node.db.write() as session:
        await instance.update_info(
            session, name="Renamed", description="", rules=[], registration_mode="closed"
        )
    async with node.db.read() as session:
        assert await instance.info(session) == instance.InstanceInfo("Renamed", "", [], "closed")

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
        async with node.db.write() as session:
            with pytest.raises(InvalidInput):
                await instance.update_info(session, **{**good, **change})  # type: ignore[arg-type]
    async with node.db.read() as session:
        assert (await instance.info(session)).name == "Renamed"
    async with node.db.write() as session:
        edge = await instance.update_info(
            session,
            name="n" * 100,
            description="d" * 5000,
            rules=["r" * 500] * 50,
            registration_mode="invite",
        )
    assert len(edge.rules) == 50


async def test_setup_token(node: Node) -> None:
    async with node.db.write() as session:
        old = await instance.new_setup_token(session)
        token = await instance.new_setup_token(session)  # replaces the old one
    async with node.db.read() as session:
        assert await instance.setup_token_valid(session, token)
        assert not await instance.setup_token_valid(session, old)
        assert not await instance.setup_token_valid(session, "guess")
    async with node.db.write() as session:
        assert not await instance.consume_setup_token(session, old)
        assert await instance.consume_setup_token(session, token)
    async with node.db.write() as session:
        assert not await instance.consume_setup_token(session, token)  # one time only
    async with node.db.read() as session:
        assert not await instance.setup_token_valid(session, token)

    # Once an admin exists, a setup token is useless.
    async with node.db.write() as session:
        token = await instance.new_setup_token(session)
        assert await instance.setup_token_valid(session, token)
        assert not await instance.has_admin(session)
    await user(node, "boss", admin=True)
    async with node.db.write() as session:
        assert await instance.has_admin(session)
        assert not await instance.setup_token_valid(session, token)
        assert not await instance.consume_setup_token(session, token)


async def test_invites(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    async with node.db.write() as session:
        creator = await session.get(User, alice.id)
        other = await session.get(User, bob.id)
        assert creator is not None and other is not None
        forever = await instance.create_invite(session, creator, max_uses=None, expires_in=None)
        limited = await instance.create_invite(
            session, creator, max_uses=2, expires_in=timedelta(days=1)
        )
    assert forever.code != limited.code
    assert len(forever.code) >= 12
    assert forever.expires_at is None and forever.max_uses is None
    assert limited.expires_at is not None
    assert timedelta(hours=23) < limited.expires_at - now() <= timedelta(days=1)
    async with node.db.write() as session:
        assert {i.code for i in await instance.list_invites(session, creator)} == {
            forever.code,
            limited.code,
        }
        assert await instance.list_invites(session, other) == []
        await instance.use_invite(session, limited.code)
        await instance.use_invite(session, limited.code)
        with pytest.raises(InvalidInput):
            await instance.use_invite(session, limited.code)
        await instance.revoke_invite(session, other, forever.code)  # not bob's to revoke
        await instance.use_invite(session, forever.code)
        await instance.revoke_invite(session, creator, forever.code)
        with pytest.raises(InvalidInput):
            await instance.use_invite(session, forever.code)
    async with node.db.read() as session:
        stored = await session.get(Invite, limited.code)
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

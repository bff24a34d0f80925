"""Sign-up in every registration mode, log-in, profiles, approval and suspension."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bocage.core import accounts, instance
from bocage.core.clock import now
from bocage.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from bocage.crypto.keys import IdentityKey
from bocage.node import Node
from bocage.store.models import Account, Invite, User, WebSession
from tests.core.helpers import PASSWORD, user

PASS = "a long enough password"


def form(username: str = "alice", **changes: object) -> accounts.Registration:
    values: dict[str, object] = {
        "username": username,
        "email": f"{username.lower()}@example.org",
        "password": PASS,
    }
    values.update(changes)
    return accounts.Registration(**values)  # type: ignore[arg-type]


async def set_mode(node: Node, mode: str) -> None:
    async with node.db.write() as session:
        await instance.update_info(
            session, name="Test", description="", rules=[], registration_mode=mode
        )


async def register(node: Node, registration: accounts.Registration, **options: bool) -> User:
    async with node.db.write() as session:
        return await accounts.register(session, node.ctx, registration, **options)


async def login(node: Node, name: str, password: str = PASS) -> User:
    async with node.db.read() as session:
        return await accounts.authenticate(session, name, password)


async def user_row(node: Node, username: str) -> tuple[User, Account]:
    async with node.db.read() as session:
        row = (
            await session.execute(
                select(User, Account)
                .join(Account, Account.id == User.account_id)
                .where(func.lower(Account.username) == username.lower())
            )
        ).one()
        return row[0], row[1]


async def make_inviter(node: Node) -> User:
    admin = await user(node, "inviter", admin=True)
    async with node.db.read() as session:
        creator = await session.get(User, admin.id)
        assert creator is not None
        return creator


async def new_invite(
    node: Node, creator: User, *, max_uses: int | None = None, expires_in: timedelta | None = None
) -> str:
    async with node.db.write() as session:
        invite = await instance.create_invite(
            session, creator, max_uses=max_uses, expires_in=expires_in
        )
        return invite.code


async def invite_uses(node: Node, code: str) -> int:
    async with node.db.read() as session:
        invite = await session.get(Invite, code)
        assert invite is not None
        return invite.uses


async def count(node: Node, model: type) -> int:
    async with node.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# --- registration modes --------------------------------------------------------------------


async def test_open_mode_registers_an_approved_account_with_keys(node: Node) -> None:
    await set_mode(node, "open")
    created = await register(node, form("Alice", email="Alice@Example.org"))
    stored_user, account = await user_row(node, "alice")
    assert created.approved is True
    assert stored_user.approved is True
    assert stored_user.is_admin is False
    assert stored_user.email == "alice@example.org"
    assert stored_user.password_hash != PASS
    assert account.username == "Alice"
    assert account.domain is None
    assert account.display_name == "Alice"
    assert account.uri == "http://127.0.0.1:8000/users/Alice"
    assert account.did is not None and account.did.startswith("did:key:z6Mk")
    assert account.identity_seed is not None
    assert IdentityKey.from_seed(account.identity_seed).did == account.did
    assert account.rsa_public_pem is not None
    assert account.rsa_public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert account.log_seq == 0


async def test_approval_mode_is_the_default_and_needs_a_reason(node: Node) -> None:
    async with node.db.read() as session:
        assert (await instance.info(session)).registration_mode == "approval"
    with pytest.raises(InvalidInput):
        await register(node, form(reason="   "))
    assert await count(node, User) == 0
    created = await register(node, form(reason="  I like hedges  "))
    assert created.approved is False
    stored_user, _ = await user_row(node, "alice")
    assert stored_user.approved is False
    assert stored_user.signup_reason == "I like hedges"
    async with node.db.read() as session:
        pending = await accounts.pending_signups(session)
    assert [account.username for _, account in pending] == ["alice"]


async def test_invite_mode_with_a_valid_code_until_used_up(node: Node) -> None:
    await set_mode(node, "invite")
    code = await new_invite(node, await make_inviter(node), max_uses=1)
    first = await register(node, form("first", invite_code=code))
    assert first.approved is True
    assert first.invite_code == code
    assert await invite_uses(node, code) == 1
    with pytest.raises(InvalidInput):
        await register(node, form("second", invite_code=code))
    assert await invite_uses(node, code) == 1
    async with node.db.read() as session:
        second = await session.execute(select(Account.id).where(Account.username == "second"))
        assert second.first() is None


async def test_a_single_use_invite_admits_one_of_two_simultaneous_signups(node: Node) -> None:
    await set_mode(node, "invite")
    code = await new_invite(node, await make_inviter(node), max_uses=1)
    outcomes = await asyncio.gather(
        register(node, form("first", invite_code=code)),
        register(node, form("second", invite_code=code)),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["InvalidInput", "User"]
    assert await invite_uses(node, code) == 1
    assert await count(node, User) == 2  # the inviter and one newcomer


async def test_invite_mode_refuses_missing_unknown_expired_and_revoked_codes(node: Node) -> None:
    await set_mode(node, "invite")
    creator = await make_inviter(node)
    with pytest.raises(Forbidden):
        await register(node, form())
    with pytest.raises(InvalidInput):
        await register(node, form(invite_code="no-such-code"))

    expired = await new_invite(node, creator, expires_in=timedelta(days=1))
    async with node.db.write() as session:
        await session.execute(
            update(Invite)
            .where(Invite.code == expired)
            .values(expires_at=now() - timedelta(seconds=1))
        )
    with pytest.raises(InvalidInput):
        await register(node, form(invite_code=expired))
    assert await invite_uses(node, expired) == 0

    revoked = await new_invite(node, creator)
    async with node.db.write() as session:
        await instance.revoke_invite(session, creator, revoked)
    with pytest.raises(InvalidInput):
        await register(node, form(invite_code=revoked))

    async with node.db.write() as session:
        with pytest.raises(InvalidInput):
            await instance.create_invite(session, creator, max_uses=0, expires_in=None)
    assert await count(node, User) == 1  # only the inviter


async def test_closed_mode_refuses_everyone_but_an_admin_bypass(node: Node) -> None:
    await set_mode(node, "closed")
    with pytest.raises(Forbidden):
        await register(node, form(reason="please"))
    assert await count(node, Account) == 0
    created = await register(node, form("root"), bypass_mode=True, admin=True)
    assert created.approved is True
    assert created.is_admin is True


# --- uniqueness and validation -------------------------------------------------------------


async def test_taken_and_reserved_names_and_addresses_conflict(node: Node) -> None:
    await set_mode(node, "open")
    await register(node, form("alice", email="shared@example.org"))
    with pytest.raises(Conflict, match="username"):
        await register(node, form("ALICE", email="other@example.org"))
    with pytest.raises(Conflict, match="e-mail"):
        await register(node, form("bob", email="SHARED@example.org"))
    with pytest.raises(Conflict, match="reserved"):
        await register(node, form("Admin"))
    assert await count(node, Account) == 1


INVALID_REGISTRATIONS: list[dict[str, object]] = [
    {"username": ""},
    {"username": "has space"},
    {"username": "dash-ed"},
    {"username": "x" * 31},
    {"username": "émile"},
    {"email": "not-an-email"},
    {"email": "two@@example.org"},
    {"email": "nodot@example"},
    {"password": "short"},
    {"password": "1234567"},
    {"password": "x" * 1001},
    {"agreed_to_rules": False},
]


async def test_invalid_registration_is_refused(node: Node) -> None:
    await set_mode(node, "open")
    for changes in INVALID_REGISTRATIONS:
        values: dict[str, object] = {
            "username": "alice",
            "email": "a@example.org",
            "password": PASS,
        }
        values.update(changes)
        with pytest.raises(InvalidInput):
            await register(node, accounts.Registration(**values))  # type: ignore[arg-type]
    assert await count(node, Account) == 0
    # The limits themselves are allowed.
    created = await register(node, form("a" * 30, email="long@example.org", password="12345678"))
    assert created.approved is True


# --- log-in --------------------------------------------------------------------------------


async def test_authenticate(node: Node) -> None:
    account = await user(node, "Alice")  # e-mail alice@example.org
    await user(node, "bob")
    assert (await login(node, "  ALICE ", PASSWORD)).id == account.id
    assert (await login(node, "Alice@Example.ORG", PASSWORD)).id == account.id
    with pytest.raises(NotAuthenticated):
        await login(node, "alice", "wrong password")
    with pytest.raises(NotAuthenticated):
        await login(node, "nobody", PASSWORD)
    with pytest.raises(NotAuthenticated):
        await login(node, "nobody@example.org", PASSWORD)


async def test_change_password(node: Node) -> None:
    account = await user(node, "alice")
    async with node.db.write() as session:
        stored = await session.get(User, account.id)
        assert stored is not None
        with pytest.raises(NotAuthenticated):
            await accounts.change_password(session, stored, "not it", "new password 1")
        with pytest.raises(InvalidInput):
            await accounts.change_password(session, stored, PASSWORD, "short")
        old_hash = stored.password_hash
        await accounts.change_password(session, stored, PASSWORD, "new password 1")
        assert stored.password_hash != old_hash
    assert (await login(node, "alice", "new password 1")).id == account.id


# --- approval, rejection, suspension -------------------------------------------------------


async def test_approve_and_reject_signups(node: Node) -> None:
    await set_mode(node, "approval")
    await register(node, form("alice", reason="hello"))
    await register(node, form("bob", reason="hi"))
    with pytest.raises(Forbidden, match="approval"):
        await login(node, "alice")
    async with node.db.write() as session:
        approved = await accounts.set_approved(session, "ALICE")
        assert approved.approved is True
        await accounts.set_approved(session, "bob", approved=False)
        with pytest.raises(NotFound):
            await accounts.set_approved(session, "ghost")
    assert (await login(node, "alice")).approved is True
    async with node.db.read() as session:
        assert await accounts.pending_signups(session) == []
        with pytest.raises(NotFound):
            await accounts.by_username(session, "bob")
    assert await count(node, User) == 1
    assert await count(node, Account) == 1
    # A rejected sign-up frees its name and address.
    await set_mode(node, "open")
    assert (await register(node, form("bob"))).approved is True
    # Only a pending sign-up can be rejected: an approved account is never deleted that way
    # (a stale admin page or a second click must not wipe out a member).
    async with node.db.write() as session:
        with pytest.raises(Conflict):
            await accounts.set_approved(session, "alice", approved=False)
    stored_user, _ = await user_row(node, "alice")
    assert stored_user.approved is True


async def test_suspension(node: Node) -> None:
    account = await user(node, "alice")
    admin = await user(node, "boss", admin=True)
    async with node.db.write() as session:
        session.add(
            WebSession(
                token_hash="t" * 64, user_id=account.id, created_at=now(), last_seen_at=now()
            )
        )
    async with node.db.write() as session:
        suspended = await accounts.set_suspended(session, "ALICE")
        assert suspended.suspended is True
        with pytest.raises(Forbidden):
            await accounts.set_suspended(session, "boss")
    async with node.db.read() as session:
        assert (await session.execute(select(WebSession))).first() is None
        assert (await session.get(Account, account.id)).suspended is True  # type: ignore[union-attr]
        assert (await session.get(Account, admin.id)).suspended is False  # type: ignore[union-attr]
    with pytest.raises(Forbidden, match="suspended"):
        await login(node, "alice", PASSWORD)
    async with node.db.write() as session:
        assert (await accounts.set_suspended(session, "alice", False)).suspended is False
    assert (await login(node, "alice", PASSWORD)).email == "alice@example.org"


# --- profiles ------------------------------------------------------------------------------


async def test_profile_update(node: Node) -> None:
    account = await user(node, "alice")
    async with node.db.write() as session:
        stored = await session.get(Account, account.id)
        assert stored is not None
        accounts.update_profile(
            node.ctx,
            stored,
            accounts.ProfileUpdate(
                display_name="  Alice A.  ",
                note="I like #gardens <b>a lot</b>",
                locked=True,
                fields=[("Site", " https://example.org "), ("  ", "ignored"), ("Pronouns", "she")],
                avatar="ab/cd.png",
            ),
        )
    stored = await _account(node, account.id)
    assert stored.display_name == "Alice A."
    assert stored.note_source == "I like #gardens <b>a lot</b>"
    assert "<b>" not in stored.note
    assert "&lt;b&gt;" in stored.note
    assert 'href="http://127.0.0.1:8000/tags/gardens"' in stored.note
    assert stored.locked is True
    assert stored.fields == [
        {"name": "Site", "value": "https://example.org"},
        {"name": "Pronouns", "value": "she"},
    ]
    assert stored.avatar == "ab/cd.png"
    assert stored.header is None

    # The limits are inclusive; an empty display name falls back to the username.
    at_limits = accounts.ProfileUpdate(
        "x" * 30, "y" * 500, False, [(f"f{i}", "v" * 255) for i in range(4)]
    )
    accounts.update_profile(node.ctx, stored, at_limits)
    assert stored.display_name == "x" * 30
    assert len(stored.fields) == 4
    assert stored.avatar == "ab/cd.png"  # None keeps the current one
    accounts.update_profile(node.ctx, stored, accounts.ProfileUpdate("   ", "", False))
    assert stored.display_name == "alice"
    assert stored.note == ""
    assert stored.fields == []


INVALID_PROFILES = [
    accounts.ProfileUpdate("x" * 31, "", False),
    accounts.ProfileUpdate("  " + "x" * 31 + "  ", "", False),
    accounts.ProfileUpdate("ok", "x" * 501, False),
    accounts.ProfileUpdate("ok", "", False, [(f"f{i}", "v") for i in range(5)]),
    accounts.ProfileUpdate("ok", "", False, [("name", "v" * 256)]),
    accounts.ProfileUpdate("ok", "", False, [("n" * 256, "v")]),
]


async def test_invalid_profile_update_is_refused(node: Node) -> None:
    account = await user(node, "alice")
    for change in INVALID_PROFILES:
        with pytest.raises(InvalidInput):
            accounts.update_profile(node.ctx, account, change)
    assert account.display_name == "alice"
    assert account.fields == []
    assert account.locked is False


async def _account(node: Node, account_id: int) -> Account:
    async with node.db.read() as session:
        found = await session.get(Account, account_id)
        assert found is not None
        return found

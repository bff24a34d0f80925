"""Sign-up in every registration mode, log-in, profiles, approval and suspension."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select, update

from bocage.core.accounts import accounts
from bocage.core.accounts.passwords import hash_password
from bocage.core.instance import instance
from bocage.crypto import sealing
from bocage.crypto.keys import IdentityKey
from bocage.kernel.clock import now
from bocage.kernel.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from bocage.node import Node
from bocage.store.models import Account, Invite, LogEntry, User, WebSession
from tests.conftest import shared_secrets
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


def set_mode(node: Node, mode: str) -> None:
    with node.db.transaction() as session:
        instance.update_info(session, name="Test", description="", rules=[], registration_mode=mode)


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def secrets_for(password: str) -> accounts.AccountSecrets:
    """Real secrets for `password`, sharing the slow parts (RSA key, Argon2) between tests."""
    shared = shared_secrets()
    return accounts.AccountSecrets(IdentityKey.generate(), shared.rsa, _password_hash(password))


def register(node: Node, registration: accounts.Registration, **options: bool) -> User:
    with node.db.transaction() as session:
        return accounts.register(
            session, node.ctx, registration, secrets_for(registration.password), **options
        )


async def login(node: Node, name: str, password: str = PASS) -> User:
    """As every face logs people in (`core/auth/logins.py`), from one address."""
    return await node.logins.log_in(node.db, "127.0.2.1", name, password)


def user_row(node: Node, username: str) -> tuple[User, Account]:
    with node.db.snapshot() as session:
        row = (
            session.execute(
                select(User, Account)
                .join(Account, Account.id == User.account_id)
                .where(func.lower(Account.username) == username.lower())
            )
        ).one()
        return row[0], row[1]


def make_inviter(node: Node) -> User:
    admin = user(node, "inviter", admin=True)
    with node.db.snapshot() as session:
        creator = session.get(User, admin.id)
        assert creator is not None
        return creator


def new_invite(
    node: Node, creator: User, *, max_uses: int | None = None, expires_in: timedelta | None = None
) -> str:
    with node.db.transaction() as session:
        invite = instance.create_invite(session, creator, max_uses=max_uses, expires_in=expires_in)
        return invite.code


def invite_uses(node: Node, code: str) -> int:
    with node.db.snapshot() as session:
        invite = session.get(Invite, code)
        assert invite is not None
        return invite.uses


def count(node: Node, model: type) -> int:
    with node.db.snapshot() as session:
        return int((session.execute(select(func.count()).select_from(model))).scalar_one())


# --- registration modes --------------------------------------------------------------------


def test_open_mode_registers_an_approved_account_with_keys(node: Node) -> None:
    set_mode(node, "open")
    created = register(node, form("Alice", email="Alice@Example.org"))
    stored_user, account = user_row(node, "alice")
    assert created.approved is True
    assert stored_user.approved is True
    assert stored_user.is_admin is False
    assert stored_user.email == "alice@example.org"
    assert stored_user.password_hash != PASS
    assert account.username == "Alice"
    assert account.domain is None
    assert account.display_name == ""  # as Mastodon: empty until its owner names it
    assert account.uri == "http://127.0.0.1:8000/users/Alice"
    assert account.did is not None and account.did.startswith("did:key:z6Mk")
    assert account.identity_seed is not None
    assert IdentityKey.from_seed(sealing.open_seed(account.identity_seed)).did == account.did
    assert account.rsa_public_pem is not None
    assert account.rsa_public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert account.log_seq == 0


def test_approval_mode_is_the_default_and_needs_a_reason(node: Node) -> None:
    with node.db.snapshot() as session:
        assert (instance.info(session)).registration_mode == "approval"
    with pytest.raises(InvalidInput):
        register(node, form(reason="   "))
    assert count(node, User) == 0
    created = register(node, form(reason="  I like hedges  "))
    assert created.approved is False
    stored_user, _ = user_row(node, "alice")
    assert stored_user.approved is False
    assert stored_user.signup_reason == "I like hedges"
    with node.db.snapshot() as session:
        pending = accounts.pending_signups(session)
    assert [account.username for _, account in pending] == ["alice"]


def test_invite_mode_with_a_valid_code_until_used_up(node: Node) -> None:
    set_mode(node, "invite")
    code = new_invite(node, make_inviter(node), max_uses=1)
    first = register(node, form("first", invite_code=code))
    assert first.approved is True
    assert first.invite_code == code
    assert invite_uses(node, code) == 1
    with pytest.raises(InvalidInput):
        register(node, form("second", invite_code=code))
    assert invite_uses(node, code) == 1
    with node.db.snapshot() as session:
        second = session.execute(select(Account.id).where(Account.username == "second"))
        assert second.first() is None


async def test_a_single_use_invite_admits_one_of_two_simultaneous_signups(node: Node) -> None:
    set_mode(node, "invite")
    code = new_invite(node, make_inviter(node), max_uses=1)
    # Two writer threads at once (truly concurrent on PostgreSQL).
    first, second = form("first", invite_code=code), form("second", invite_code=code)
    outcomes = await asyncio.gather(
        node.db.write(accounts.register, node.ctx, first, secrets_for(PASS)),
        node.db.write(accounts.register, node.ctx, second, secrets_for(PASS)),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["InvalidInput", "User"]
    assert invite_uses(node, code) == 1
    assert count(node, User) == 2  # the inviter and one newcomer


def test_invite_mode_refuses_missing_unknown_expired_and_revoked_codes(node: Node) -> None:
    set_mode(node, "invite")
    creator = make_inviter(node)
    with pytest.raises(Forbidden):
        register(node, form())
    with pytest.raises(InvalidInput):
        register(node, form(invite_code="no-such-code"))

    expired = new_invite(node, creator, expires_in=timedelta(days=1))
    with node.db.transaction() as session:
        session.execute(
            update(Invite)
            .where(Invite.code == expired)
            .values(expires_at=now() - timedelta(seconds=1))
        )
    with pytest.raises(InvalidInput):
        register(node, form(invite_code=expired))
    assert invite_uses(node, expired) == 0

    revoked = new_invite(node, creator)
    with node.db.transaction() as session:
        instance.revoke_invite(session, creator, revoked)
    with pytest.raises(InvalidInput):
        register(node, form(invite_code=revoked))

    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            instance.create_invite(session, creator, max_uses=0, expires_in=None)
    assert count(node, User) == 1  # only the inviter


def test_closed_mode_refuses_everyone_but_an_admin_bypass(node: Node) -> None:
    set_mode(node, "closed")
    with pytest.raises(Forbidden):
        register(node, form(reason="please"))
    assert count(node, Account) == 0
    created = register(node, form("root"), bypass_mode=True, admin=True)
    assert created.approved is True
    assert created.is_admin is True


# --- uniqueness and validation -------------------------------------------------------------


def test_taken_and_reserved_names_and_addresses_conflict(node: Node) -> None:
    set_mode(node, "open")
    register(node, form("alice", email="shared@example.org"))
    with pytest.raises(Conflict, match="username"):
        register(node, form("ALICE", email="other@example.org"))
    with pytest.raises(Conflict, match="e-mail"):
        register(node, form("bob", email="SHARED@example.org"))
    with pytest.raises(Conflict, match="reserved"):
        register(node, form("Admin"))
    assert count(node, Account) == 1


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


def test_invalid_registration_is_refused(node: Node) -> None:
    set_mode(node, "open")
    for changes in INVALID_REGISTRATIONS:
        values: dict[str, object] = {
            "username": "alice",
            "email": "a@example.org",
            "password": PASS,
        }
        values.update(changes)
        with pytest.raises(InvalidInput):
            register(node, accounts.Registration(**values))  # type: ignore[arg-type]
    assert count(node, Account) == 0
    # The limits themselves are allowed.
    created = register(node, form("a" * 30, email="long@example.org", password="12345678"))
    assert created.approved is True


# --- log-in --------------------------------------------------------------------------------


async def test_authenticate(node: Node) -> None:
    account = user(node, "Alice")  # e-mail alice@example.org
    user(node, "bob")
    assert (await login(node, "  ALICE ", PASSWORD)).id == account.id
    assert (await login(node, "Alice@Example.ORG", PASSWORD)).id == account.id
    with pytest.raises(NotAuthenticated):
        await login(node, "alice", "wrong password")
    with pytest.raises(NotAuthenticated):
        await login(node, "nobody", PASSWORD)
    with pytest.raises(NotAuthenticated):
        await login(node, "nobody@example.org", PASSWORD)


async def test_change_password(node: Node) -> None:
    account = user(node, "alice")
    with node.db.snapshot() as session:
        stored = session.get(User, account.id)
        assert stored is not None
    with pytest.raises(NotAuthenticated):
        await node.logins.confirm("127.0.2.1", stored, "not it")
    await node.logins.confirm("127.0.2.1", stored, PASSWORD)
    with pytest.raises(InvalidInput):
        accounts.new_password_hash("short")
    new_hash = accounts.new_password_hash("new password 1")
    assert new_hash != stored.password_hash
    with node.db.transaction() as session:
        accounts.set_password_hash(session, stored.id, new_hash)
    assert (await login(node, "alice", "new password 1")).id == account.id
    with pytest.raises(NotAuthenticated):
        await login(node, "alice", PASSWORD)


# --- approval, rejection, suspension -------------------------------------------------------


async def test_approve_and_reject_signups(node: Node) -> None:
    set_mode(node, "approval")
    register(node, form("alice", reason="hello"))
    register(node, form("bob", reason="hi"))
    with pytest.raises(Forbidden, match="approval"):
        await login(node, "alice")
    with node.db.transaction() as session:
        approved = accounts.set_approved(session, "ALICE")
        assert approved.approved is True
        accounts.set_approved(session, "bob", approved=False)
        with pytest.raises(NotFound):
            accounts.set_approved(session, "ghost")
    assert (await login(node, "alice")).approved is True
    with node.db.snapshot() as session:
        assert accounts.pending_signups(session) == []
        with pytest.raises(NotFound):
            accounts.by_username(session, "bob")
    assert count(node, User) == 1
    assert count(node, Account) == 1
    # A rejected sign-up frees its name and address.
    set_mode(node, "open")
    assert (register(node, form("bob"))).approved is True
    # Only a pending sign-up can be rejected: an approved account is never deleted that way
    # (a stale admin page or a second click must not wipe out a member).
    with node.db.transaction() as session:
        with pytest.raises(Conflict):
            accounts.set_approved(session, "alice", approved=False)
    stored_user, _ = user_row(node, "alice")
    assert stored_user.approved is True


async def test_suspension(node: Node) -> None:
    account = user(node, "alice")
    admin = user(node, "boss", admin=True)
    with node.db.transaction() as session:
        session.add(
            WebSession(
                token_hash="t" * 64, user_id=account.id, created_at=now(), last_seen_at=now()
            )
        )
    with node.db.transaction() as session:
        suspended = accounts.set_suspended(session, "ALICE")
        assert suspended.suspended is True
        with pytest.raises(Forbidden):
            accounts.set_suspended(session, "boss")
    with node.db.snapshot() as session:
        assert (session.execute(select(WebSession))).first() is None
        assert (session.get(Account, account.id)).suspended is True  # type: ignore[union-attr]
        assert (session.get(Account, admin.id)).suspended is False  # type: ignore[union-attr]
    with pytest.raises(Forbidden, match="suspended"):
        await login(node, "alice", PASSWORD)
    with node.db.transaction() as session:
        assert (accounts.set_suspended(session, "alice", False)).suspended is False
    assert (await login(node, "alice", PASSWORD)).email == "alice@example.org"


# --- profiles ------------------------------------------------------------------------------


def test_profile_update(node: Node) -> None:
    account = user(node, "alice")
    with node.db.transaction() as session:
        stored = session.get(Account, account.id)
        assert stored is not None
        accounts.update_profile(
            session,
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
    stored = _account(node, account.id)
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
    with node.db.transaction() as session:
        stored = session.get(Account, account.id)
        assert stored is not None
        accounts.update_profile(session, node.ctx, stored, at_limits)
        assert stored.display_name == "x" * 30
        assert len(stored.fields) == 4
        assert stored.avatar == "ab/cd.png"  # None keeps the current one
        accounts.update_profile(session, node.ctx, stored, accounts.ProfileUpdate("   ", "", False))
        assert stored.display_name == ""  # blank: no name (the faces show the username)
        assert stored.note == ""
        assert stored.fields == []
        # Each change is announced: a signed Update of the actor, in the author's log.
        updates = session.execute(
            select(LogEntry.activity).where(
                LogEntry.account_id == account.id, LogEntry.activity_type == "Update"
            )
        ).scalars()
        names = [orjson.loads(update)["object"]["name"] for update in updates]
        assert names == ["Alice A.", "x" * 30, "alice"]


INVALID_PROFILES = [
    accounts.ProfileUpdate("x" * 31, "", False),
    accounts.ProfileUpdate("  " + "x" * 31 + "  ", "", False),
    accounts.ProfileUpdate("ok", "x" * 501, False),
    accounts.ProfileUpdate("ok", "", False, [(f"f{i}", "v") for i in range(5)]),
    accounts.ProfileUpdate("ok", "", False, [("name", "v" * 256)]),
    accounts.ProfileUpdate("ok", "", False, [("n" * 256, "v")]),
]


def test_invalid_profile_update_is_refused(node: Node) -> None:
    account = user(node, "alice")
    for change in INVALID_PROFILES:
        with pytest.raises(InvalidInput), node.db.transaction() as session:
            accounts.update_profile(session, node.ctx, account, change)
    assert account.display_name == "alice"
    assert account.fields == []
    assert account.locked is False


def _account(node: Node, account_id: int) -> Account:
    with node.db.snapshot() as session:
        found = session.get(Account, account_id)
        assert found is not None
        return found


def test_a_sign_up_that_loses_a_race_gets_a_conflict(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name was free when checked but taken by a simultaneous sign-up before the insert:
    the database's unique index decides, and the person gets the same clear Conflict."""
    set_mode(node, "open")
    register(node, form("alice"))
    monkeypatch.setattr(accounts, "_check_free", lambda *_args: None)  # as if checked earlier
    with pytest.raises(Conflict, match="just taken"):
        register(node, form("ALICE", email="other@example.org"))
    assert count(node, User) == 1

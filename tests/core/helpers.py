"""Helpers for the core tests.

`user()` writes the same rows as `accounts.register` (an account with its identity and RSA keys
and a local user) but reuses one RSA key pair and one Argon2 hash, computed once by the real
functions: registering costs ~0.15 s of CPU, and the suite creates hundreds of accounts.
`tests/core/test_accounts.py` goes through `accounts.register` itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bocage.core.accounts.passwords import hash_password
from bocage.core.graph import graph
from bocage.core.inbound import remote
from bocage.core.posts import posts
from bocage.crypto.keys import IdentityKey, RsaKey
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store.models import Account, Job, Notification, Post, User

PASSWORD = "correct horse battery"

_rsa: RsaKey | None = None
_password_hash: str | None = None


def _secrets() -> tuple[RsaKey, str]:
    global _rsa, _password_hash
    if _rsa is None:
        _rsa = RsaKey.generate()
    if _password_hash is None:
        _password_hash = hash_password(PASSWORD)
    return _rsa, _password_hash


def user(
    node: Node,
    username: str,
    *,
    locked: bool = False,
    admin: bool = False,
    approved: bool = True,
    suspended: bool = False,
) -> Account:
    """A local account with a user, as `accounts.register(..., bypass_mode=True)` makes it."""
    rsa, password_hash = _secrets()
    identity = IdentityKey.generate()
    moment = now()
    with node.db.transaction() as session:
        account = Account(
            id=new_id(),
            username=username,
            domain=None,
            display_name=username,
            created_at=moment,
            uri=node.ctx.urls.actor(username),
            did=identity.did,
            identity_seed=node.ctx.keyring.seal_seed(identity.seed),
            rsa_private_pem=node.ctx.keyring.seal_pem(rsa.private_pem),
            rsa_public_pem=rsa.public_pem,
            fields=[],
            locked=locked,
            suspended=suspended,
        )
        session.add(account)
        session.flush()
        session.add(
            User(
                id=account.id,
                account_id=account.id,
                email=f"{username.lower()}@example.org",
                password_hash=password_hash,
                is_admin=admin,
                approved=approved,
                signup_reason="",
                invite_code=None,
                created_at=moment,
            )
        )
    return account


def remote_user(node: Node, uri: str, *, shared_inbox: str | None = None) -> Account:
    """A remote account as if its actor had been fetched (no key: it sends nothing here)."""
    domain = uri.split("/")[2]
    profile = remote.ActorProfile(
        uri=uri,
        username=uri.rsplit("/", 1)[-1],
        domain=domain,
        inbox=f"{uri}/inbox",
        shared_inbox=shared_inbox,
        followers_url=f"{uri}/followers",
    )
    with node.db.transaction() as session:
        return remote.upsert_actor(session, profile)


def fresh(node: Node, account: Account) -> Account:
    """The account as stored now (counters are updated with SQL, not on the object)."""
    with node.db.snapshot() as session:
        found = session.get(Account, account.id)
        assert found is not None
        return found


def post(node: Node, author: Account, text: str, **draft: Any) -> Post:
    with node.db.transaction() as session:
        return posts.publish(session, node.ctx, author, posts.PostDraft(text, **draft))


def reply(node: Node, author: Account, parent: Post, text: str, **draft: Any) -> Post:
    return post(node, author, text, in_reply_to_id=parent.id, **draft)


def get_post(node: Node, post_id: int) -> Post | None:
    with node.db.snapshot() as session:
        return session.get(Post, post_id)


def follow(node: Node, follower: Account, target: Account) -> None:
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, follower, target)


def boost(node: Node, account: Account, post_id: int) -> Post:
    with node.db.transaction() as session:
        return posts.boost(session, node.ctx, account, post_id)


def favourite(node: Node, account: Account, post_id: int) -> None:
    with node.db.transaction() as session:
        posts.favourite(session, node.ctx, account, post_id)


def suspend(node: Node, account: Account) -> None:
    with node.db.transaction() as session:
        session.execute(update(Account).where(Account.id == account.id).values(suspended=True))


def notifications_of(
    node: Node, account: Account, *, filtered: bool = False
) -> list[tuple[str, int, int | None]]:
    """(type, from account id, post id) of the account's notifications, sorted: those its
    lists show, or (`filtered`) those its notification policy holds back in requests.

    Sorted by value, not by id: `run_until_idle` runs jobs concurrently, so notifications
    written by one batch have no meaningful order.
    """
    with node.db.snapshot() as session:
        rows = session.execute(
            select(Notification.type, Notification.from_account_id, Notification.post_id)
            .where(Notification.account_id == account.id, Notification.filtered.is_(filtered))
            .order_by(Notification.id)
        )
        found = [(kind, sender, post_id) for kind, sender, post_id in rows.all()]
        return sorted(found, key=lambda n: (n[0], n[1], n[2] or 0))


def all_notifications(node: Node) -> list[tuple[int, str, int, int | None]]:
    """(recipient, type, sender, post id) of every notification, in id order."""
    with node.db.snapshot() as session:
        rows = session.execute(
            select(
                Notification.account_id,
                Notification.type,
                Notification.from_account_id,
                Notification.post_id,
            ).order_by(Notification.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def jobs_by_state(node: Node, *, federation: bool = False) -> dict[str, int]:
    """Job counts by state; `federate` jobs (one per authored activity) left out unless asked."""
    with node.db.snapshot() as session:
        query = select(Job.state)
        if not federation:
            query = query.where(Job.kind != "federate")
        rows = session.execute(query)
        counts: dict[str, int] = {}
        for state in rows.scalars():
            counts[state] = counts.get(state, 0) + 1
        return counts

"""Shared fixtures. Every test that takes `node` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.crypto.keys import IdentityKey
from bocage.node import Node
from bocage.store.models import Account
from tests.databases import DatabaseFactory

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.cleanup()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


# Nodes started by tests (in process or as `bocage` processes, which inherit this) stay off
# the LAN: mDNS would reach beyond loopback, and test nodes would replicate with each
# other. The LAN tests turn it on, on 127.0.0.1 only.
os.environ["BOCAGE_LAN_DISCOVERY"] = "0"
os.environ["BOCAGE_LAN_INTERFACES"] = '["127.0.0.1"]'


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "domain": "127.0.0.1:8000",
        "secret_key": "test-secret-key-not-for-production",
        "database_url": database_url,
        "insecure_loopback": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def node(backend: str, databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Node]:
    """A started node with no background worker: tests run jobs with `run_until_idle()`."""
    settings = make_settings(tmp_path / "data", databases.url(backend))
    started = Node(settings, run_worker=False)
    await started.start()
    yield started
    await started.stop()


PASSWORD = "correct horse battery"
_SECRETS: list[accounts.AccountSecrets] = []


def shared_secrets() -> accounts.AccountSecrets:
    """Keys and password hash shared by test users: RSA key generation costs ~100 ms."""
    if not _SECRETS:
        _SECRETS.append(accounts.make_secrets(PASSWORD))
    base = _SECRETS[0]
    # Each account needs its own identity (did:key is unique); Ed25519 keys are cheap.
    return accounts.AccountSecrets(IdentityKey.generate(), base.rsa, base.password_hash)


def make_user(node: Node, username: str, **options: object) -> Account:
    """Create an approved local user and return its account."""
    form = accounts.Registration(username, f"{username}@example.org", PASSWORD)
    with node.db.transaction() as session:
        user = accounts.register(
            session,
            node.ctx,
            form,
            shared_secrets(),
            bypass_mode=True,
            **options,  # type: ignore[arg-type]
        )
        account = session.get(Account, user.account_id)
        assert account is not None
        return account

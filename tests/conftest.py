"""Shared fixtures. Every test that takes `node` runs on SQLite and on PostgreSQL.

The suite runs on two pytest-xdist workers (`-n 2 --dist loadgroup`, pyproject.toml). A test
that must not run beside others of its kind, or that shares something started once, carries
`@pytest.mark.xdist_group(name)`: each group runs on one worker, its tests in order.
- "lan": mDNS on the loopback interface (tests/p2p/test_lan.py and the LAN test of
  test_replication.py); every zeroconf on this machine hears every other one.
- "browser": Chromium (tests/e2e), a big process; its tests follow each other on one site.
- "disk": full disks on tmpfs mounts, and a PostgreSQL tablespace on one (root only).
- "api_node": the node most modules of tests/mastodon_api share (its conftest.py).
- a module's own path ("federation/test_flows"…): its module-scoped nodes, started once.
Servers tests start listen on addresses and ports of their worker's own (tests/addresses.py).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from _pytest.nodeid import NodeId

from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.crypto.keys import IdentityKey, RsaKey
from bocage.node import Node
from bocage.store.models import Account
from tests.databases import DatabaseFactory

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` group again. pytest-xdist 3.8.0 tells a worker's tests' groups
    to the scheduler by adding "@group" to their node ids through `item._nodeid`, which pytest
    9.2 no longer reads (node ids are structured): every group was silently spread over both
    workers. Until xdist does it itself (pytest-xdist issue #1386, pull request #1388), the
    suffix goes where pytest 9.2 keeps the id. Inert without loadgroup, or once xdist adds it."""
    if not getattr(config.option, "loadgroup", False):  # set in xdist's workers only
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


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


def shared_secrets(*, own_rsa_key: bool = False) -> accounts.AccountSecrets:
    """Keys and password hash shared by test users: RSA key generation costs ~100 ms, the
    password hash ~300 ms. Each account needs its own identity (did:key is unique); Ed25519
    keys are cheap. `own_rsa_key`: a key of its own too (~50 ms), for the accounts of real
    nodes, whose HTTP signatures other nodes check as they would anyone's."""
    if not _SECRETS:
        _SECRETS.append(accounts.make_secrets(PASSWORD))
    base = _SECRETS[0]
    rsa = RsaKey.generate() if own_rsa_key else base.rsa
    return accounts.AccountSecrets(IdentityKey.generate(), rsa, base.password_hash)


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

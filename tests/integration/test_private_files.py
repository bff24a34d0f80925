"""What another user of the machine may read of a node: nothing. Real `bocage` processes
started with the usual umask 022, then the modes of what they made: the data directory 0700,
the settings, the database and its -wal and -shm 0600, a backup 0600 (even over an existing
file). A file made readable by hand is made private again at the next start, with a warning
that names it and the chmod."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.addresses import loopback
from tests.federation.helpers import FEDERATION_ENV
from tests.processes import NodeProcess, run_cli

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The commands inherit the umask most systems give people: 022 (files 0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_what_a_node_writes_is_private_and_a_file_opened_by_hand_is_closed_again(
    tmp_path: Path, usual_umask: None
) -> None:
    node = NodeProcess(tmp_path / "node", host=loopback(2, 2), env=dict(FEDERATION_ENV))
    node.init()
    data = node.data
    assert mode(data) == 0o700
    assert mode(data / "bocage.toml") == 0o600
    assert mode(data / "bocage.db") == 0o600
    run_cli("user", "create", "alice", "--email", "alice@example.org", "--password",
            "correct horse battery", "--data", str(data), env=node.env)  # fmt: skip
    node.start()
    try:
        for name in ("bocage.db", "bocage.db-wal", "bocage.db-shm"):
            assert mode(data / name) == 0o600, name
        assert mode(data / "media") == 0o700

        existing = tmp_path / "backups" / "node.tar.gz"
        existing.parent.mkdir()
        existing.write_bytes(b"an older backup")
        existing.chmod(0o644)
        run_cli("backup", "--out", str(existing), "--data", str(data), env=node.env)
        assert mode(existing) == 0o600
        fresh = tmp_path / "backups" / "new.tar.gz"
        run_cli("backup", "--out", str(fresh), "--data", str(data), env=node.env)
        assert mode(fresh) == 0o600
    finally:
        node.stop()

    # Someone opens the files up by hand (or copies them with the wrong mode).
    data.chmod(0o755)
    for name in ("bocage.toml", "bocage.db"):
        (data / name).chmod(0o644)
    node.start()
    try:
        log = node.log()
        for path in (data, data / "bocage.toml", data / "bocage.db"):
            octal = "700" if path == data else "600"
            assert f"warning: {path} (" in log, log
            assert f"`chmod {octal} {path}`" in log
        assert "mode 0644" in log and "mode 0755" in log
        assert mode(data) == 0o700
        assert mode(data / "bocage.toml") == 0o600
        assert mode(data / "bocage.db") == 0o600
    finally:
        node.stop()

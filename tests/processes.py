"""Real `bocage` processes for integration tests: each node gets its own loopback address
(tests/addresses.py) and data directory, and is started through the CLI exactly as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bocage import cli, datadir
from bocage.config import Settings, load_settings, write_config_file
from bocage.core.accounts import accounts
from bocage.kernel.context import Context
from tests.addresses import free_port, loopback
from tests.conftest import PASSWORD, shared_secrets

BOCAGE = [sys.executable, "-m", "bocage.cli"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*BOCAGE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"bocage {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def make_data_dir(
    data: Path, domain: str, env: Mapping[str, str] | None = None, users: Sequence[str] = ()
) -> Settings:
    """What `bocage init --domain DOMAIN --insecure-loopback` then `bocage user create NAME
    --email NAME@example.org --password PASSWORD [--admin]` for each of `users` ("bea*" is an
    admin) leave behind, made in this process: a command is a cold Python start (~1.5 s, far
    more on a busy machine), a user made here ~0.1 s. The commands themselves are tested in
    tests/integration/test_cli.py. The database is the one a `bocage` process with `env` uses:
    its BOCAGE_DATABASE_URL, or the SQLite file in `data`. Returns those settings."""
    write_config_file(data, domain, insecure_loopback=True)
    settings = load_settings(data, database_url=(env or {}).get("BOCAGE_DATABASE_URL", ""))
    ctx = Context.from_settings(settings)
    with cli.database(settings) as db, db.transaction() as session:
        for entry in users:
            name = entry.rstrip("*")
            form = accounts.Registration(name, f"{name}@example.org", PASSWORD)
            secrets = shared_secrets(own_rsa_key=True)
            admin = entry.endswith("*")
            accounts.register(session, ctx, form, secrets, admin=admin, bypass_mode=True)
    # The commands create files with a private umask (cli.main); this process has its own.
    datadir.make_private(settings.data_dir, settings.sqlite_path)
    return settings


@dataclass
class NodeProcess:
    """A `bocage serve` process. `start()` waits until it answers HTTP."""

    data: Path
    host: str = loopback(0, 2)
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    serve_options: tuple[str, ...] = ()  # e.g. ("--no-worker",)
    process: subprocess.Popen[str] | None = None
    log_path: Path | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port(self.host)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def init(self, *extra: str) -> None:
        run_cli(
            "init",
            "--data",
            str(self.data),
            "--domain",
            f"{self.host}:{self.port}",
            "--insecure-loopback",
            *extra,
            env=self.env,
        )

    def prepare(self, users: Sequence[str] = ()) -> None:
        """`init()`, and `bocage user create` for each of `users`, in this process
        (`make_data_dir`)."""
        make_data_dir(self.data, f"{self.host}:{self.port}", self.env, users)

    def start(self, timeout: float = 30.0) -> None:
        self.log_path = self.data.parent / f"{self.data.name}-serve.log"
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                *BOCAGE,
                "serve",
                "--data",
                str(self.data),
                "--host",
                self.host,
                "--port",
                str(self.port),
                *self.serve_options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bocage serve exited early:\n{self.log()}")
            try:
                httpx.get(f"{self.url}/about", timeout=1.0)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"bocage serve did not answer within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash or power loss."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def setup_link(self) -> str:
        """The one-time admin link the node printed at start."""
        for line in self.log().splitlines():
            if "/setup/" in line:
                return line.strip()
        raise AssertionError(f"no setup link in the output:\n{self.log()}")


@dataclass
class WorkerProcess:
    """A `bocage worker` process on a node's data directory (beside a `serve --no-worker`)."""

    data: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    log_path: Path | None = None

    def start(self) -> None:
        self.log_path = self.data.parent / f"{self.data.name}-worker.log"
        self.process = subprocess.Popen(
            [*BOCAGE, "worker", "--data", str(self.data)],
            stdout=self.log_path.open("a"),
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **self.env},
            start_new_session=True,
        )

    def stop(self) -> None:
        """SIGTERM: running jobs finish, then it exits."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""


def start_all(*nodes: NodeProcess) -> None:
    """Start nodes side by side: a start is mostly a cold Python start and waiting for the
    first answer, which overlap well."""
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(NodeProcess.start, nodes))


@contextmanager
def running(*nodes: NodeProcess) -> Iterator[tuple[NodeProcess, ...]]:
    """`nodes` started side by side (`start_all`), and all stopped when the block ends,
    whatever happened (also when one of them failed to start)."""
    try:
        start_all(*nodes)
        yield nodes
    finally:
        for node in nodes:
            node.stop()

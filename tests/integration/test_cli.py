"""The `bocage` command line, run as real processes.

Every command takes --data DIR or $BOCAGE_DATA; errors print one clear line and exit with
status 1, never a traceback. Commands run in a scratch working directory, so a command that
ignored --data/BOCAGE_DATA would fall back to ./data there and fail these tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bocage.config import load_settings
from bocage.core.accounts import accounts
from bocage.node import Node
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Account, Job, Notification, User
from tests.addresses import free_port, loopback
from tests.conftest import shared_secrets
from tests.databases import postgres_available
from tests.integration.helpers import (
    PASSWORD,
    assert_clean_failure,
    bocage,
    bocage_many,
    count_rows,
    head_revision,
    make_node_dir,
    output,
    publish_many,
)
from tests.processes import BOCAGE

pytestmark = pytest.mark.slow


def data_env(data: Path) -> dict[str, str]:
    return {"BOCAGE_DATA": str(data)}


def user_row(data: Path, username: str) -> tuple[Account, User] | None:
    db = Database(load_settings(data).effective_database_url)
    try:
        with db.snapshot() as session:
            row = (
                session.execute(
                    select(Account, User)
                    .join(User, User.account_id == Account.id)
                    .where(Account.username == username)
                )
            ).first()
            return (row[0], row[1]) if row else None
    finally:
        db.close()


# --- init ------------------------------------------------------------------------------------


def test_init_writes_settings_and_a_migrated_database_once(tmp_path: Path) -> None:
    data = tmp_path / "node"
    result = bocage("init", "--domain", "Node.Example:8443", env=data_env(data), cwd=tmp_path)
    assert result.returncode == 0, output(result)
    assert "Initialised" in result.stdout

    config = data / "bocage.toml"
    assert config.stat().st_mode & 0o777 == 0o600  # it holds the secret key
    settings = load_settings(data)
    assert settings.domain == "node.example:8443"
    assert settings.base_url == "https://node.example:8443"
    assert len(settings.secret_key) >= 32
    assert (data / "bocage.db").is_file()
    assert migrate.current_revision(settings.effective_database_url) == head_revision()

    before = config.read_text()
    again = bocage("init", "--data", str(data), "--domain", "other.example", cwd=tmp_path)
    assert_clean_failure(again, "already exists", "initialised")
    assert config.read_text() == before  # the secret key was not replaced
    assert not (tmp_path / "data").exists()


def test_init_refuses_a_bad_domain_before_writing_anything(tmp_path: Path) -> None:
    bad = ["bad domain/x", 'ex"ample.org', "example.org/path", "   "]
    calls = [
        (("init", "--data", str(tmp_path / f"n{i}"), "--domain", d), {}) for i, d in enumerate(bad)
    ]
    # A valid BOCAGE_DOMAIN in the environment must not let a bad --domain through.
    calls.append(
        (
            ("init", "--data", str(tmp_path / "with-env"), "--domain", "bad domain"),
            {"BOCAGE_DOMAIN": "good.example"},
        )
    )
    for (args, _), result in zip(calls, bocage_many(calls, tmp_path), strict=True):
        assert_clean_failure(result, "invalid --domain", "host name")
        assert "pydantic" not in output(result)
        assert not Path(args[2]).exists(), args


# --- users -----------------------------------------------------------------------------------


async def test_user_create_approve_suspend_unsuspend(tmp_path: Path) -> None:
    data = tmp_path / "node"
    settings = make_node_dir(data)
    env = data_env(data)
    by_data = ("--data", str(data))

    created = bocage(
        "user", "create", "alice", "--email", "alice@example.org", "--password", PASSWORD,
        "--admin", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, output(created)
    assert "Created @alice (admin)" in created.stdout

    taken, same_email, short, bad_name, dave = bocage_many(
        [
            (("user", "create", "ALICE", "--email", "a2@example.org", "--password", PASSWORD,
              *by_data), {}),
            (("user", "create", "bob", "--email", "Alice@Example.org", "--password", PASSWORD),
             env),
            (("user", "create", "bob", "--email", "bob@example.org", "--password", "short",
              *by_data), {}),
            (("user", "create", "no spaces", "--email", "x@example.org", "--password", PASSWORD),
             env),
            (("user", "create", "dave", "--email", "dave@example.org", "--password", PASSWORD,
              *by_data), {}),
        ],
        tmp_path,
    )  # fmt: skip
    assert_clean_failure(taken, "username is taken")
    assert_clean_failure(same_email, "e-mail address already exists")
    assert_clean_failure(short, "at least 8 characters")
    assert_clean_failure(bad_name, "username")
    assert dave.returncode == 0, output(dave)

    alice = user_row(data, "alice")
    assert alice is not None
    assert alice[1].is_admin and alice[1].approved and not alice[0].suspended
    assert alice[1].email == "alice@example.org"
    assert user_row(data, "bob") is None
    dave_row = user_row(data, "dave")
    assert dave_row is not None and not dave_row[1].is_admin and dave_row[1].approved

    # A sign-up waiting for approval (the default registration mode), made through the core.
    node = Node(settings, run_worker=False)
    await node.start()
    try:
        form = accounts.Registration("carol", "carol@example.org", PASSWORD, reason="hello")
        with node.db.transaction() as session:
            accounts.register(session, node.ctx, form, shared_secrets())
    finally:
        await node.stop()
    carol = user_row(data, "carol")
    assert carol is not None and not carol[1].approved

    approved = bocage("user", "approve", "carol", env=env, cwd=tmp_path)
    assert approved.returncode == 0, output(approved)
    carol = user_row(data, "carol")
    assert carol is not None and carol[1].approved

    nobody, admin, suspended = bocage_many(
        [
            (("user", "approve", "nobody", *by_data), {}),
            (("user", "suspend", "alice"), env),
            (("user", "suspend", "carol", *by_data), {}),
        ],
        tmp_path,
    )
    assert_clean_failure(nobody, "@nobody")
    assert_clean_failure(admin, "admin account cannot be suspended")
    assert suspended.returncode == 0, output(suspended)
    carol = user_row(data, "carol")
    assert carol is not None and carol[0].suspended
    alice = user_row(data, "alice")
    assert alice is not None and not alice[0].suspended

    unsuspended, unknown = bocage_many(
        [(("user", "unsuspend", "carol"), env), (("user", "unsuspend", "nobody", *by_data), {})],
        tmp_path,
    )
    assert unsuspended.returncode == 0, output(unsuspended)
    assert_clean_failure(unknown, "@nobody")
    carol = user_row(data, "carol")
    assert carol is not None and not carol[0].suspended
    assert not (tmp_path / "data").exists()


# --- migrate ---------------------------------------------------------------------------------


def test_migrate_brings_an_old_database_to_head(tmp_path: Path) -> None:
    data = tmp_path / "node"
    settings = make_node_dir(data)
    url = settings.effective_database_url
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None

    first = bocage("migrate", "--data", str(data), cwd=tmp_path)
    assert first.returncode == 0, output(first)
    assert "up to date" in first.stdout
    assert migrate.current_revision(url) == head_revision()
    db = Database(url)
    try:
        assert count_rows(db, Account) == 0  # the tables are back
    finally:
        db.close()

    second = bocage("migrate", env=data_env(data), cwd=tmp_path)
    assert second.returncode == 0, output(second)
    assert migrate.current_revision(url) == head_revision()


# --- bad settings ----------------------------------------------------------------------------


def test_bad_settings_and_unreachable_databases_fail_clearly(tmp_path: Path) -> None:
    good = tmp_path / "good"
    make_node_dir(good)
    bad_toml = tmp_path / "bad-toml"
    bad_toml.mkdir()
    (bad_toml / "bocage.toml").write_text('domain = "unterminated\n')
    bad_value = tmp_path / "bad-value"
    make_node_dir(bad_value)
    with (bad_value / "bocage.toml").open("a") as config:
        config.write('job_concurrency = "lots"\njob_lease_seconds = 0\nfavourite_colour = 1\n')
    dead_port = free_port("127.0.0.1")

    cases: list[tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]] = [
        (("migrate",), {"BOCAGE_MAX_POST_CHARS": "abc"}, ("max_post_chars", "integer")),
        (("migrate", "--data", str(bad_toml)), {}, ("not valid TOML", "bocage.toml")),
        (
            ("migrate", "--data", str(bad_value)),
            {},
            ("job_concurrency", "job_lease_seconds", "favourite_colour"),
        ),
        (("migrate", "--data", str(tmp_path / "never-initialised")), {}, ("bocage init",)),
        (
            ("migrate",),
            {"BOCAGE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{dead_port}/x"},
            ("cannot connect to the database",),
        ),
        (("migrate",), {"BOCAGE_DATABASE_URL": "not a url"}, ("database error",)),
        # Other commands report bad settings the same way (they share `settings_for`).
        *(
            (command, {"BOCAGE_MAX_POST_CHARS": "abc"}, ("max_post_chars",))
            for command in [
                ("serve",),
                ("worker", "--once"),
                ("user", "suspend", "x"),
                ("backup", "--out", str(tmp_path / "b.tar.gz")),
                ("restore", str(tmp_path / "b.tar.gz")),
            ]
        ),
    ]
    if postgres_available():
        cases.append(
            (
                ("migrate",),
                {"BOCAGE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/no_such_db_x"},
                ("database", "does not exist"),
            )
        )
    calls = [(args, {"BOCAGE_DATA": str(good), **env}) for args, env, _ in cases]
    for (_, _, expected), result in zip(cases, bocage_many(calls, tmp_path), strict=True):
        assert_clean_failure(result, *expected)
    assert not (tmp_path / "b.tar.gz").exists()
    assert not (tmp_path / "data").exists()


# --- worker and serve ------------------------------------------------------------------------


async def test_worker_once_runs_the_queued_jobs(tmp_path: Path) -> None:
    data = tmp_path / "node"
    settings = make_node_dir(data)
    first = await publish_many(
        settings, [("alice", "hi @bob"), ("bob", "hi @alice")], new_users=("alice", "bob")
    )
    db = Database(settings.effective_database_url)
    try:
        assert count_rows(db, Job, Job.state == "queued", Job.kind == "post.created") == 2

        result = bocage("worker", "--once", "--data", str(data), cwd=tmp_path)
        assert result.returncode == 0, output(result)
        assert count_rows(db, Job, Job.state != "done") == 0
        assert count_rows(db, Notification, Notification.post_id.in_(first)) == 2

        second = await publish_many(settings, [("alice", "again @bob")])
        result = bocage("worker", "--once", env=data_env(data), cwd=tmp_path)
        assert result.returncode == 0, output(result)
        assert count_rows(db, Job, Job.state != "done") == 0
        assert count_rows(db, Notification, Notification.post_id.in_(second)) == 1
        assert count_rows(db, Notification) == 3
    finally:
        db.close()


def test_serve_reads_bocage_data_and_prints_the_setup_link(tmp_path: Path) -> None:
    data = tmp_path / "node"
    make_node_dir(data)
    port = free_port(loopback(0, 2))
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*BOCAGE, "serve", "--host", loopback(0, 2), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "BOCAGE_DATA": str(data)},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                response = httpx.get(f"http://{loopback(0, 2)}:{port}/about", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert response.status_code == 200
        setup = [line.strip() for line in log.read_text().splitlines() if "/setup/" in line]
        assert len(setup) == 1, log.read_text()
        assert httpx.get(setup[0], timeout=5).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=15) == 0 or process.returncode == -signal.SIGTERM
    assert "Traceback" not in log.read_text()
    assert not (tmp_path / "data").exists()

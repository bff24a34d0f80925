"""Helpers for the integration tests: real `bocage` commands against real databases.

A node under test is a data directory made by `bocage init`. On SQLite its database is the
default file inside that directory; on PostgreSQL the CLI processes get a fresh database through
BOCAGE_DATABASE_URL, and the test process opens the same database through `load_settings`.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from bocage.config import Settings, load_settings
from bocage.core.accounts import accounts
from bocage.core.posts import posts
from bocage.node import Node
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Base, Job
from tests.conftest import shared_secrets
from tests.databases import DatabaseFactory
from tests.processes import BOCAGE, make_data_dir

PASSWORD = "correct horse battery"


def backend_env(backend: str, databases: DatabaseFactory) -> dict[str, str]:
    """Environment for CLI processes: a fresh PostgreSQL database, or nothing (SQLite file)."""
    if backend == "sqlite":
        return {}
    return {"BOCAGE_DATABASE_URL": databases.postgresql()}


def settings_of(data: Path, env: dict[str, str]) -> Settings:
    """The settings a CLI process with `env` would use, for the test process."""
    return load_settings(data, database_url=env.get("BOCAGE_DATABASE_URL", ""))


def head_revision() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head()
    assert head is not None
    return head


def make_node_dir(
    data: Path, env: dict[str, str] | None = None, domain: str = "127.0.0.1:8000"
) -> Settings:
    """What `bocage init` does, in this process (tests/processes.py's `make_data_dir`); the
    settings a CLI process with `env` would use."""
    return make_data_dir(data, domain, env)


def bocage(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run `bocage ARGS` in `cwd` (so that a forgotten --data cannot touch ./data here)."""
    return subprocess.run(
        [*BOCAGE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def bocage_many(
    calls: list[tuple[tuple[str, ...], dict[str, str]]], cwd: Path
) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands side by side (each is a cold Python start)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: bocage(*call[0], env=call[1], cwd=cwd), calls))


def output(result: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr as one line of text (rich wraps long lines at 80 columns)."""
    return re.sub(r"\s+", " ", f"{result.stdout} {result.stderr}").strip()


def assert_clean_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit status 1, the expected words in the message, and no traceback."""
    text = output(result)
    assert result.returncode == 1, f"exit {result.returncode}: {text}"
    assert "Traceback" not in text, text
    assert "╭" not in text, text  # rich's framed traceback
    assert text.startswith(("error:", "warning:")) and "error:" in text, text
    text = text[text.index("error:") :]  # after warnings (files made private…)
    for words in expected:
        assert words.lower() in text.lower(), f"{words!r} not in {text!r}"


async def publish_many(
    settings: Settings,
    authors_and_texts: list[tuple[str, str]],
    *,
    new_users: tuple[str, ...] = (),
    batch: int = 250,
) -> list[int]:
    """Register `new_users`, then publish posts through the core (no worker runs); returns
    the ids of the posts, in order."""
    node = Node(settings, run_worker=False)
    await node.start()
    ids: list[int] = []
    try:
        for username in new_users:
            form = accounts.Registration(username, f"{username}@example.org", PASSWORD)
            with node.db.transaction() as session:
                accounts.register(session, node.ctx, form, shared_secrets(), bypass_mode=True)
        for start in range(0, len(authors_and_texts), batch):
            with node.db.transaction() as session:
                authors = {}
                for username, text in authors_and_texts[start : start + batch]:
                    if username not in authors:
                        authors[username] = accounts.by_username(session, username)
                    post = posts.publish(
                        session, node.ctx, authors[username], posts.PostDraft(text)
                    )
                    ids.append(post.id)
    finally:
        await node.stop()
    return ids


def count_rows(db: Database, table: Any, *where: Any) -> int:
    with db.snapshot() as session:
        query = select(func.count()).select_from(table)
        for condition in where:
            query = query.where(condition)
        return int((session.execute(query)).scalar_one())


def dump_tables(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain dicts in primary-key order (for comparisons)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with db.snapshot() as session:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows = (session.execute(query)).mappings().all()
            tables[table.name] = [dict(row) for row in rows]
    return tables


async def api_token(client: httpx.AsyncClient, username: str) -> str:
    """A client API token of `username` (on the node `client` talks to), as apps get one."""
    scopes = "read write follow"
    app = await client.post("/api/v1/apps", data={"client_name": "tests", "scopes": scopes})
    answer = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{username}@example.org",
            "password": PASSWORD, "scope": scopes,
        },
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def jobs_settled(db: Database, within: float) -> dict[str, int]:
    """Jobs by state, once none is due or running (a worker ran them all); a job queued for
    later (the sweep of uploads never posted, a day after) is not pending."""
    deadline = time.monotonic() + within
    while True:
        with db.snapshot() as session:
            later = (Job.state == "queued") & (Job.run_after > datetime.now(UTC))
            rows = session.execute(
                select(Job.state, func.count()).where(~later).group_by(Job.state)
            )
            counts: dict[str, int] = dict(rows.all())  # type: ignore[arg-type]
        if not counts.get("queued") and not counts.get("running"):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs still pending after {within}s: {counts}")
        await asyncio.sleep(0.2)

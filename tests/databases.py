"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when it answers.

Migrating once per session and copying (SQLite: the file; PostgreSQL: CREATE DATABASE …
TEMPLATE) keeps a fresh schema per test cheap.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from bocage.store import migrate

PG_HOST = os.environ.get("BOCAGE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BOCAGE_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("BOCAGE_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("BOCAGE_TEST_PG_DB", "test")
TEMPLATE = f"bocage_tpl_{os.getpid()}"


def postgres_available() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI but {PG_HOST}:{PG_PORT} does not answer")
    pytest.skip(f"no PostgreSQL on {PG_HOST}:{PG_PORT}")


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def _admin(sql: str) -> None:
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_ADMIN_DB, autocommit=True
    ) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


class DatabaseFactory:
    """Hands out fresh migrated databases and cleans them up at the end of the session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_template: Path | None = None
        self._pg_template_ready = False
        self._pg_databases: list[str] = []

    def sqlite(self) -> str:
        if self._sqlite_template is None:
            template = self.root / "template.db"
            migrate.upgrade(f"sqlite+aiosqlite:///{template}")
            self._sqlite_template = template
        target = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"

    def postgresql(self, tablespace: str | None = None) -> str:
        """A fresh migrated database (its files in `tablespace`, if given)."""
        require_postgres()
        if not self._pg_template_ready:
            _admin(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            _admin(f"CREATE DATABASE {TEMPLATE}")
            migrate.upgrade(pg_url(TEMPLATE))
            self._pg_template_ready = True
        name = f"bocage_t_{uuid.uuid4().hex[:12]}"
        placed = f" TABLESPACE {tablespace}" if tablespace else ""
        _admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}{placed}")
        self._pg_databases.append(name)
        return pg_url(name)

    def drop(self, url: str) -> None:
        """Drop a database made by `postgresql` now, connections and all."""
        _admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def admin(self, sql: str) -> None:
        """One statement as the server's superuser, outside a transaction."""
        require_postgres()
        _admin(sql)

    def url(self, backend: str) -> str:
        return self.sqlite() if backend == "sqlite" else self.postgresql()

    def cleanup(self) -> None:
        """Drop every database made, several at a time: a DROP DATABASE waits for a
        checkpoint, and drops waiting together share one (one at a time, the hundreds a
        session makes took minutes at its end)."""
        if not self._pg_template_ready:
            return
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_drop_quietly, self._pg_databases))
        _drop_quietly(TEMPLATE)


def _drop_quietly(name: str) -> None:
    try:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except (OSError, psycopg.Error):
        pass

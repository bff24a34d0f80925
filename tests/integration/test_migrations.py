"""Alembic migrations on SQLite and PostgreSQL: up from nothing, down to nothing, up again,
and the models (bocage.store.models) match what the migrations build."""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from bocage.store import migrate
from bocage.store.db import sync_url
from bocage.store.models import Base
from tests.databases import _admin, pg_url, require_postgres
from tests.integration.helpers import head_revision

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even alembic_version."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    require_postgres()
    name = f"bocage_m_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name}")
    try:
        yield pg_url(name)
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def inspect_db(url: str, fn: Any) -> Any:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return fn(connection)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    return set(inspect_db(url, lambda sync: inspect(sync).get_table_names()))


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    assert table_names(empty_url) == set()

    migrate.upgrade(empty_url)
    assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert migrate.current_revision(empty_url) == head_revision()
    migrate.upgrade(empty_url)  # a no-op at head
    assert migrate.current_revision(empty_url) == head_revision()

    migrate.downgrade(empty_url, "base")
    assert table_names(empty_url) - {"alembic_version"} == set()
    assert migrate.current_revision(empty_url) is None

    migrate.upgrade(empty_url)
    assert table_names(empty_url) == MODEL_TABLES | {"alembic_version"}
    assert migrate.current_revision(empty_url) == head_revision()


def test_migrations_say_nothing_to_the_person_running_them(empty_url: str) -> None:
    """`bocage` commands migrate on the way (init, the first command after an upgrade): a
    warning from SQLAlchemy or Alembic would be printed to whoever ran them."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        migrate.upgrade(empty_url)
        migrate.downgrade(empty_url, "base")


def test_each_revision_steps_up_and_down(empty_url: str) -> None:
    """Revision by revision: each upgrade and each downgrade runs on its own."""
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions and revisions[-1] == head_revision()
    for revision in revisions:
        migrate.upgrade(empty_url, revision)
        assert migrate.current_revision(empty_url) == revision
    for revision in reversed([None, *revisions[:-1]]):
        migrate.downgrade(empty_url, revision or "base")
        assert migrate.current_revision(empty_url) == revision
    assert table_names(empty_url) - {"alembic_version"} == set()


def test_models_match_the_migrations(empty_url: str, backend: str) -> None:
    migrate.upgrade(empty_url)

    def differences(sync: Any) -> list[Any]:
        context = MigrationContext.configure(
            sync, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        diff = inspect_db(empty_url, differences)
    assert diff == []
    # The only thing autogenerate may skip: the expression index, which SQLite cannot reflect.
    skipped = [str(warning.message) for warning in caught]
    assert all("uq_accounts_handle" in message for message in skipped), skipped
    assert bool(skipped) == (backend == "sqlite"), skipped

    # SQLite cannot reflect the expression index, so autogenerate skips it there (hence the
    # warning above): check that the migration made it, unique, on both databases.
    def handle_index(sync: Any) -> str:
        if sync.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'uq_accounts_handle'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_accounts_handle'"
        return str(sync.execute(text(query)).scalar_one()).lower()

    definition = inspect_db(empty_url, handle_index)
    # Compare without PostgreSQL's casts, whitespace and parentheses.
    definition = re.sub(r"::(text|character varying)|[\s()]", "", definition)
    assert definition.startswith("createuniqueindexuq_accounts_handleon"), definition
    assert definition.endswith("lowerusername,coalescedomain,''"), definition


def test_the_head_is_read_from_the_version_files_as_alembic_reads_it() -> None:
    # serve skips Alembic (11 MB) when the schema is current: both must agree on "current".
    assert migrate.head_revision() == head_revision()

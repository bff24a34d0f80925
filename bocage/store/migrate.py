"""Apply Alembic migrations programmatically (at start-up and from `bocage migrate`).

Alembic is imported only when there is something to do: at start-up the schema is nearly
always current, and Alembic with the migration scripts costs a node 11 MB of memory for
the rest of its life. Whether the schema is current is read with plain SQL against the
newest revision named in the version files.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from bocage.store.db import sync_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^revision: str = "([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision: str \| None = (?:"([^"]+)"|None)', re.MULTILINE)


class MigrationError(Exception):
    """The schema could not be brought up to date (e.g. a revision this version does not
    know: the database was used by a newer Bocage)."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url))
    return config


@cache
def head_revision() -> str:
    """The newest revision: the one no other revision names as its `down_revision`."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            raise MigrationError(f"{path.name} does not declare its revisions as expected")
        revisions.add(revision[1])
        parents.add(down[1])
    heads = revisions - parents
    if len(heads) != 1:
        raise MigrationError(f"the migrations have {len(heads)} heads, not one")
    return heads.pop()


def _run(url: str, action: str, revision: str) -> None:
    from alembic import command
    from alembic.util import CommandError

    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    except CommandError as exc:
        raise MigrationError(str(exc)) from exc
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; a no-op when it is already there."""
    if revision == "head" and current_revision(url) == head_revision():
        return
    _run(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    _run(url, "downgrade", revision)


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()

"""Backup and restore: a .tar.gz with the settings, a logical dump of every table, and media.

The dump is one NDJSON file per table (values typed by their column), so a backup taken on
SQLite restores on PostgreSQL and the other way round. Restore refuses a non-empty database.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, func, insert, select
from sqlalchemy.orm import Session

from bocage.config import CONFIG_FILE, without_secrets
from bocage.datadir import open_private
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Base, UTCDateTime

FORMAT_VERSION = 1
BATCH = 1000


class BackupError(Exception):
    pass


def _encode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return value.isoformat()
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode()
    return value


def _decode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    return value


def create(
    db: Database, data_dir: Path, out: Path, *, sealed_with: str, include_secret: bool = False
) -> dict[str, int]:
    """Write a backup of the node whose data directory is `data_dir`; returns rows per table.
    The private keys in the dump are as stored, sealed with the key `sealed_with` names (the
    caller sealed them all first); the settings go in without their secrets unless
    `include_secret`."""
    counts: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    # Private (0600) even if `out` existed: it holds the database.
    with (
        os.fdopen(open_private(out), "wb") as file,
        tarfile.open(fileobj=file, mode="w:gz") as archive,
    ):
        with db.snapshot() as session:
            if db.dialect == "postgresql":
                # One snapshot for every table while the node keeps writing (READ COMMITTED
                # takes one per statement: rows would point at rows missing from the dump).
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            for table in Base.metadata.sorted_tables:
                counts[table.name] = _dump_table(session, table, archive)
        revision = migrate.current_revision(db.url)
        manifest = {
            "format": FORMAT_VERSION,
            "revision": revision,
            "tables": counts,
            "sealed_with": sealed_with,
        }
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        config = data_dir / CONFIG_FILE
        if config.exists():
            text = config.read_text(encoding="utf-8")
            kept = text if include_secret else without_secrets(text)
            _add_bytes(archive, CONFIG_FILE, kept.encode("utf-8"))
        media = data_dir / "media"
        if media.exists():
            archive.add(media, arcname="media")
    return counts


def _dump_table(session: Session, table: Any, archive: tarfile.TarFile) -> int:
    lines: list[bytes] = []
    # Primary-key order: the same data gives the same dump, whatever the physical row order.
    ordered = select(table).order_by(*table.primary_key.columns)
    result = session.execute(ordered.execution_options(yield_per=BATCH))
    for row in result:
        record = {c.name: _encode(c, row._mapping[c.name]) for c in table.columns}
        lines.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    _add_bytes(archive, f"tables/{table.name}.ndjson", b"".join(lines))
    return len(lines)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def restore(db: Database, data_dir: Path, source: Path, *, key_id: str) -> dict[str, int]:
    """Restore a backup into an empty, migrated database and the data directory, with the
    secret whose key id is `key_id`: it must be the one the backup's keys are sealed with."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    try:
        archive = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a Bocage backup (.tar.gz): {exc}") from exc
    with archive:
        manifest = _read_manifest(archive)
        _check_secret(manifest, key_id)
        migrate.upgrade(db.url, manifest["revision"] or "head")
        _refuse_non_empty(db)
        counts = _load_tables(db, archive)
        _extract_media(archive, data_dir)
    migrate.upgrade(db.url)
    return counts


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError as exc:
        raise BackupError("the archive has no manifest.json: not a Bocage backup") from exc
    assert member is not None
    try:
        manifest = json.loads(member.read())
    except ValueError as exc:
        raise BackupError(f"the archive's manifest.json is unreadable: {exc}") from exc
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != FORMAT_VERSION:
        raise BackupError(f"unsupported backup format {found!r}")
    return manifest


def _check_secret(manifest: dict[str, Any], key_id: str) -> None:
    sealed_with = manifest.get("sealed_with")  # backups from before sealing have none
    if sealed_with is not None and sealed_with != key_id:
        raise BackupError(
            f"the private keys in this backup are sealed with the secret_key whose key id is "
            f"{sealed_with}, and this node's secret_key has key id {key_id}: restore with the "
            "secret_key of the node the backup came from (BOCAGE_SECRET_KEY)"
        )


def _refuse_non_empty(db: Database) -> None:
    with db.snapshot() as session:
        for table in Base.metadata.sorted_tables:
            count = (session.execute(select(func.count()).select_from(table))).scalar()
            if count:
                raise BackupError(
                    f"the database already holds data (table {table.name}); "
                    "restore into a new data directory or an empty database"
                )


def _load_tables(db: Database, archive: tarfile.TarFile) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            try:
                member = archive.extractfile(f"tables/{table.name}.ndjson")
            except KeyError:
                continue
            assert member is not None
            rows = [json.loads(line) for line in member.read().splitlines() if line.strip()]
            columns = {c.name: c for c in table.columns}
            decoded = [
                {k: _decode(columns[k], v) for k, v in row.items() if k in columns} for row in rows
            ]
            # A row that points at a row of its own table (a boost at its post) must come after
            # it, or the foreign key fails; physical order (PostgreSQL moves updated rows to the
            # end) does not guarantee that. Such references are one level deep.
            own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            decoded.sort(key=lambda row: any(row.get(name) is not None for name in own))
            for start in range(0, len(decoded), BATCH):
                session.execute(insert(table), decoded[start : start + BATCH])
            counts[table.name] = len(decoded)
    return counts


def _extract_media(archive: tarfile.TarFile, data_dir: Path) -> None:
    members = [m for m in archive.getmembers() if m.name.startswith("media/") and m.isfile()]
    archive.extractall(data_dir, members=members, filter="data")

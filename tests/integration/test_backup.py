"""`bocage backup` and `bocage restore`, as real processes.

A restored node holds exactly what the original held: every row of every table (accounts with
their keys, posts, boosts, log entries, notifications, jobs…), the media files and the settings.
A backup restores across databases (SQLite → PostgreSQL and the other way round). It holds the
private keys sealed and not the secret that opens them: restoring asks for it.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import tarfile
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.adapters.storage import LocalStorage
from bocage.core.accounts import accounts
from bocage.core.graph import graph
from bocage.core.posts import posts
from bocage.crypto import sealing
from bocage.node import Node
from bocage.store import backup as backups
from bocage.store.db import Database
from bocage.store.models import Account, LogEntry, MediaFile, Post
from tests.databases import DatabaseFactory
from tests.integration.helpers import (
    assert_clean_failure,
    backend_env,
    bocage,
    bocage_many,
    count_rows,
    dump_tables,
    make_node_dir,
    output,
    publish_many,
    settings_of,
)
from tests.processes import BOCAGE

pytestmark = pytest.mark.slow

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b0d3a90000000049454e44ae426082"
)


async def populate(data: Path, env: dict[str, str]) -> None:
    """A node with some of everything: users, posts, a reply, a boost, a favourite, a follow,
    an edit, notifications (jobs run), and a media file used as an avatar."""
    settings = make_node_dir(data, env)
    ids = await publish_many(
        settings,
        [("alice", f"post {i} for @bob #backup") for i in range(5)] + [("bob", "hi @alice")],
        new_users=("alice", "bob"),
    )
    node = Node(settings, run_worker=False)
    await node.start()
    try:
        key = LocalStorage(settings.media_dir).put(PNG, "png")
        with node.db.transaction() as session:
            alice = accounts.by_username(session, "alice")
            bob = accounts.by_username(session, "bob")
            reply = posts.publish(
                session, node.ctx, bob, posts.PostDraft("a reply", in_reply_to_id=ids[0])
            )
            posts.boost(session, node.ctx, bob, ids[1])
            posts.favourite(session, node.ctx, alice, reply.id)
            posts.edit(session, node.ctx, alice, ids[2], posts.PostDraft("edited @bob"))
            graph.follow(session, node.ctx, bob, alice)
            alice.avatar = key
            session.add(
                MediaFile(
                    id=ids[0] + 1,
                    account_id=alice.id,
                    storage_key=key,
                    content_type="image/png",
                    size=len(PNG),
                    width=1,
                    height=1,
                    description="a dot",
                    created_at=reply.created_at,
                )
            )
        await node.worker.run_until_idle()
    finally:
        await node.stop()


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def snapshot(data: Path, env: dict[str, str]) -> dict[str, object]:
    db = Database(settings_of(data, env).effective_database_url)
    try:
        return {"tables": dump_tables(db), "media": files_under(data / "media")}
    finally:
        db.close()


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("sqlite", "sqlite"),
        pytest.param("sqlite", "postgresql", marks=pytest.mark.postgres),
        pytest.param("postgresql", "sqlite", marks=pytest.mark.postgres),
    ],
)
async def test_restore_gives_back_the_same_node(
    source: str, target: str, databases: DatabaseFactory, tmp_path: Path
) -> None:
    source_env = backend_env(source, databases)
    target_env = backend_env(target, databases)
    original = tmp_path / "original"
    await populate(original, source_env)
    before = snapshot(original, source_env)
    tables = before["tables"]
    assert isinstance(tables, dict)
    # The node really holds some of everything (else the comparison proves little).
    populated = ["accounts", "users", "posts", "log_entries", "notifications", "jobs"]
    populated += ["favourites", "follows", "post_edits", "mentions", "post_tags", "media_files"]
    for name in populated:
        assert tables[name], f"no rows in {name}"
    assert any(row["reblog_of_id"] for row in tables["posts"])
    assert before["media"]

    archive = tmp_path / "backups" / "node.tar.gz"
    taken = bocage(
        "backup", "--out", str(archive), env={**source_env, "BOCAGE_DATA": str(original)},
        cwd=tmp_path,
    )  # fmt: skip
    assert taken.returncode == 0, output(taken)
    assert "Backup written" in taken.stdout

    assert "does not hold" in taken.stdout  # the secret: where to keep it is said
    secret = settings_of(original, source_env).secret_key
    with tarfile.open(archive) as tar:
        kept = tar.extractfile("bocage.toml").read().decode()  # type: ignore[union-attr]
    assert "secret_key" not in kept and secret not in kept
    assert tomllib.loads(kept) == {
        k: v for k, v in tomllib.loads((original / "bocage.toml").read_text()).items()
        if k != "secret_key"
    }  # fmt: skip

    restored = tmp_path / "restored"
    without = bocage("restore", str(archive), "--data", str(restored), env=target_env, cwd=tmp_path)
    assert_clean_failure(without, "holds no secret_key", "BOCAGE_SECRET_KEY")
    assert not restored.exists()
    wrong = {**target_env, "BOCAGE_SECRET_KEY": "not the secret of that node"}
    refused = bocage("restore", str(archive), "--data", str(tmp_path / "wrong"), env=wrong,
                     cwd=tmp_path)  # fmt: skip
    assert_clean_failure(refused, "sealed with the secret_key whose key id")
    loaded = bocage(
        "restore", str(archive), "--data", str(restored),
        env={**target_env, "BOCAGE_SECRET_KEY": secret}, cwd=tmp_path,
    )  # fmt: skip
    assert loaded.returncode == 0, output(loaded)
    assert "Restored" in loaded.stdout

    after = snapshot(restored, target_env)
    for name, rows in tables.items():
        assert after["tables"][name] == rows, f"table {name} differs after the restore"  # type: ignore[index]
    assert after["media"] == before["media"]
    assert tomllib.loads((restored / "bocage.toml").read_text()) == tomllib.loads(
        (original / "bocage.toml").read_text()
    )
    assert (restored / "bocage.toml").stat().st_mode & 0o777 == 0o600

    # The restored node works: it takes new posts on top of the restored log.
    settings = settings_of(restored, target_env)
    await publish_many(settings, [("alice", "after the restore @bob")])
    db = Database(settings.effective_database_url)
    try:
        assert count_rows(db, Post) == len(tables["posts"]) + 1
        with db.snapshot() as session:
            alice = accounts.by_username(session, "alice")
        assert (
            alice.log_seq
            == next(row["log_seq"] for row in tables["accounts"] if row["username"] == "alice") + 1
        )
    finally:
        db.close()


async def test_restore_refuses_a_non_empty_database_and_what_is_not_a_backup(
    tmp_path: Path,
) -> None:
    original = tmp_path / "original"
    await populate(original, {})
    archive = tmp_path / "node.tar.gz"
    db = Database(settings_of(original, {}).effective_database_url)
    try:
        key_id = sealing.keyring(settings_of(original, {}).secret_key).current.key_id
        backups.create(db, original, archive, sealed_with=key_id)  # `bocage backup`: see above
    finally:
        db.close()
    before = snapshot(original, {})

    empty = tmp_path / "empty"
    make_node_dir(empty)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive at all")
    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        tar.add(original / "bocage.toml", arcname="bocage.toml")
    bad_manifest = tmp_path / "bad-manifest.tar.gz"
    with tarfile.open(bad_manifest, "w:gz") as tar:
        content = b"{not json"
        info = tarfile.TarInfo("manifest.json")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    other_format = tmp_path / "other-format.tar.gz"
    with tarfile.open(other_format, "w:gz") as tar:
        content = json.dumps({"format": 99, "revision": None, "tables": {}}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))

    cases = [
        ((str(archive), "--data", str(original)), ("already holds data",)),
        ((str(garbage), "--data", str(empty)), ("not a Bocage backup",)),
        ((str(no_manifest), "--data", str(empty)), ("no manifest.json",)),
        ((str(bad_manifest), "--data", str(empty)), ("manifest.json",)),
        ((str(other_format), "--data", str(empty)), ("unsupported backup format",)),
        ((str(tmp_path / "missing.tar.gz"), "--data", str(empty)), ("does not exist",)),
        # Into a new data directory: the settings come from the archive, which has none.
        ((str(garbage), "--data", str(tmp_path / "new")), ("cannot read settings",)),
    ]
    results = bocage_many([(("restore", *args), {}) for args, _ in cases], tmp_path)
    for (_, expected), result in zip(cases, results, strict=True):
        assert_clean_failure(result, *expected)

    assert snapshot(original, {}) == before  # nothing was added to the original
    db = Database(settings_of(empty, {}).effective_database_url)
    try:
        assert count_rows(db, Account) == 0
    finally:
        db.close()
    assert not (tmp_path / "new").exists()


@pytest.mark.postgres
async def test_a_backup_of_a_busy_postgresql_node_is_consistent(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """`bocage backup` while the node keeps publishing: the dump is one snapshot, so the
    restore works and each author's log head matches its log."""
    env = backend_env("postgresql", databases)
    original = tmp_path / "original"
    settings = make_node_dir(original, env)
    await publish_many(
        settings, [("alice", f"warm-up {i} @bob") for i in range(150)], new_users=("alice", "bob")
    )
    node = Node(settings, run_worker=False)
    await node.start()
    stop = asyncio.Event()
    published = 0

    def publish_one(session: Session) -> None:
        alice = accounts.by_username(session, "alice")
        posts.publish(session, node.ctx, alice, posts.PostDraft("busy @bob"))

    async def keep_publishing() -> None:
        nonlocal published
        while not stop.is_set():
            await node.db.write(publish_one)  # in a writer thread: the loop stays free
            published += 1

    writer = asyncio.create_task(keep_publishing())
    archive = tmp_path / "busy.tar.gz"
    try:
        backup = await asyncio.create_subprocess_exec(
            *BOCAGE, "backup", "--out", str(archive), "--data", str(original),
            env={**os.environ, **env}, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        before_exit = published
        stdout, _ = await backup.communicate()
        during = published - before_exit
    finally:
        stop.set()
        await writer
        await node.stop()
    assert backup.returncode == 0, stdout.decode()
    assert during > 0, "nothing was published while the backup ran"

    restored = tmp_path / "restored"
    secret = {"BOCAGE_SECRET_KEY": settings.secret_key}
    loaded = bocage("restore", str(archive), "--data", str(restored), env=secret, cwd=tmp_path)
    assert loaded.returncode == 0, output(loaded)
    db = Database(settings_of(restored, {}).effective_database_url)
    try:
        with db.snapshot() as session:
            for account in (session.execute(select(Account))).scalars():
                entries = session.execute(
                    select(func.count(), func.max(LogEntry.seq)).where(
                        LogEntry.account_id == account.id
                    )
                )
                count, last = entries.one()
                assert count == account.log_seq == (last or 0), account.username
                posts_count = count_rows(db, Post, Post.account_id == account.id)
                assert posts_count == account.statuses_count, account.username
    finally:
        db.close()

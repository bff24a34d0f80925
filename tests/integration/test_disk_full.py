"""Acceptance: a full disk refuses writes clearly, loses nothing accepted, and the node
recovers by itself when space returns.

A real `bocage serve` whose data directory is a small tmpfs receives posts by the client API
and the web form, and signed deliveries from a remote server of the test's own, while a big
file next to the database fills the disk. Every write is answered either as done (and then
it is there at the end) or 507 with a sentence a person understands, never a 500; the inbox
refuses what it could not store, so the sender keeps it and delivers it again later; an
upload that does not fit leaves no partial file. Once the big file is gone, new posts and
deliveries work, every job runs, and the database passes SQLite's integrity check.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import os
import pwd
import re
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
from sqlalchemy import select

from bocage.core.posts import posts
from bocage.crypto.keys import RsaKey
from bocage.kernel.errors import StorageFull
from bocage.node import Node
from bocage.store import full
from bocage.store.db import Database
from bocage.store.models import Account, Post
from tests.addresses import loopback
from tests.conftest import make_settings, make_user
from tests.databases import DatabaseFactory
from tests.federation.helpers import Person
from tests.integration.helpers import api_token, jobs_settled, publish_many, settings_of
from tests.outsider import AS_JSON, Outsider
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("disk")]

NODE_HOST, REMOTE_HOST = loopback(6, 3), loopback(6, 4)
MALLORY = "mallory"  # the remote server's account
DISK_SIZE = "16m"
ENV = {
    "BOCAGE_INSECURE_LOOPBACK": "1",
    "BOCAGE_JOB_POLL_SECONDS": "0.2",
    "BOCAGE_API_REQUESTS_PER_WINDOW": "0",
}
FULL = "The server is out of disk space; try again later."
MEDIA_FILE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})\.[a-z0-9]{2,5}$")


def fail_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


@contextmanager
def tmpfs(mountpoint: Path, size: str, mode: str = "0700") -> Iterator[Path]:
    """`mountpoint` (an empty directory) as a tmpfs of `size` while in the block; root only,
    required under CI."""
    if os.geteuid() != 0:
        fail_or_skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode={mode}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        fail_or_skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mountpoint)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A data directory that is a tmpfs of DISK_SIZE."""
    mountpoint = tmp_path / "node"
    mountpoint.mkdir()
    with tmpfs(mountpoint, DISK_SIZE) as disk:
        yield disk


@pytest.fixture
async def remote() -> AsyncIterator[Outsider]:
    server = await Outsider(REMOTE_HOST, (MALLORY,), key=RsaKey.generate()).start()
    yield server
    await server.close()


def fill(disk: Path) -> Path:
    """A file that takes every free block of `disk`."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        for chunk in (1 << 20, 4096, 1):
            try:
                while True:
                    handle.write(b"\0" * chunk)
            except OSError as full:
                assert full.errno == errno.ENOSPC, full
    return filler


def noise_jpeg(side: int) -> bytes:
    """An image that compresses badly: its stored form is hundreds of kilobytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG")
    return out.getvalue()


def assert_refused_clearly(answer: httpx.Response, *, by_program: bool = True) -> None:
    """507 and the sentence; programs (apps, servers) are also told when to try again."""
    assert answer.status_code == 507, (answer.status_code, answer.text[:300])
    assert FULL in answer.text
    if by_program:
        assert int(answer.headers["retry-after"]) > 0


class Writes:
    """What the node answered as stored, and what it refused for want of room."""

    def __init__(self, api: httpx.AsyncClient, outside: httpx.AsyncClient, remote: Outsider):
        self.api, self.outside, self.remote = api, outside, remote
        self.posted: dict[int, str] = {}  # local post id → text
        self.refused_texts: list[str] = []
        self.delivered: set[str] = set()  # note URIs answered 202
        self.undelivered: list[dict[str, object]] = []  # answered 507: to send again
        self.inbox = ""

    async def post(self, text: str) -> httpx.Response:
        answer = await self.api.post("/api/v1/statuses", data={"status": text})
        if answer.status_code == 200:
            self.posted[int(answer.json()["id"])] = text
        else:
            assert_refused_clearly(answer)
            self.refused_texts.append(text)
        return answer

    async def deliver(self, activity: dict[str, object]) -> httpx.Response:
        """`activity` at the inbox, signed by mallory as Mastodon signs deliveries."""
        body = orjson.dumps(activity)
        headers = self.remote.signed("POST", self.inbox, body, key_id=self.remote.key_id(MALLORY),
                                     headers={"Content-Type": AS_JSON})  # fmt: skip
        answer = await self.outside.post(self.inbox, content=body, headers=headers)
        if answer.status_code == 202:
            self.delivered.add(activity["object"]["id"])  # type: ignore[index]
        else:
            assert_refused_clearly(answer)
            self.undelivered.append(activity)
        return answer

    async def deliver_note(self, text: str) -> httpx.Response:
        """A new note of mallory's, delivered."""
        return await self.deliver(self.remote.create(self.remote.note(MALLORY, text)))


async def until_refused(write: object, what: str, tries: int = 40) -> None:
    """Write until the node refuses for want of room (the first writes may still fit in
    room SQLite already had)."""
    for n in range(tries):
        answer = await write(f"{what} {n} on a full disk")  # type: ignore[operator]
        if answer.status_code == 507:
            return
    raise AssertionError(f"{tries} {what}s on a full disk were all accepted")


async def until_logged(node: NodeProcess, words: str, within: float = 10.0) -> None:
    for _ in range(int(within * 10)):
        if words in node.log():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{words!r} not logged within {within}s:\n{node.log()[-2000:]}")


async def test_a_full_disk_refuses_writes_clearly_and_loses_nothing(
    small_disk: Path, remote: Outsider
) -> None:
    node = NodeProcess(small_disk, host=NODE_HOST, env=ENV)
    node.init()
    settings = settings_of(small_disk, {})
    await publish_many(settings, [], new_users=("alice",))
    node.start()
    person = Person(node, "alice")
    filler: Path | None = None
    try:
        await person.login()
        async with (
            httpx.AsyncClient(base_url=node.url, timeout=20.0) as anonymous,
            httpx.AsyncClient(timeout=20.0) as outside,
        ):
            bearer = {"Authorization": f"Bearer {await api_token(anonymous, 'alice')}"}
            async with httpx.AsyncClient(base_url=node.url, headers=bearer, timeout=20) as api:
                writes = Writes(api, outside, remote)
                writes.inbox = f"{node.url}/inbox"
                for n in range(5):
                    assert (await writes.post(f"before {n}")).status_code == 200
                    delivered = await writes.deliver_note(f"remote before {n}")
                    assert delivered.status_code == 202
                # Accepted, and still being applied when the disk fills: a reply whose parent
                # the node fetches, and the remote server answers that fetch only later.
                answer_parent = asyncio.Event()
                parent = remote.note(MALLORY, "a parent the node fetches")
                remote.serve(parent, answer_parent)
                reply = remote.note(
                    MALLORY, "a reply accepted just before", in_reply_to=parent["id"]
                )
                assert (await writes.deliver(remote.create(reply))).status_code == 202
                await asyncio.wait_for(remote.asked(parent["id"]), timeout=10)

                filler = fill(small_disk)
                answer_parent.set()  # the job stores what it fetched: there is no room
                await until_refused(writes.post, "post")
                await until_refused(writes.deliver_note, "delivery")
                form = await person.submit("/posts", {"text": "typed on a full disk"})
                assert_refused_clearly(form, by_program=False)
                assert "typed on a full disk" in form.text  # the form keeps what was typed
                assert (await api.get("/api/v1/timelines/home")).status_code == 200  # reads work

                # An upload that starts to be written, then finds no room: no partial file.
                with filler.open("r+b") as handle:
                    handle.truncate(filler.stat().st_size - (128 << 10))
                image = noise_jpeg(600)
                upload = await api.post("/api/v2/media", files={"file": ("a.jpg", image)})
                assert_refused_clearly(upload)

                await until_logged(node, "Jobs paused")  # the reply's job found no room
                filler.unlink()  # space returns; the node is not restarted
                filler = None
                assert (await writes.post("after")).status_code == 200
                for activity in writes.undelivered:  # the sender tries again, as servers do
                    assert (await writes.deliver(activity)).status_code == 202
                assert (await writes.deliver_note("after")).status_code == 202
                uploaded = await api.post("/api/v2/media", files={"file": ("a.jpg", image)})
                assert uploaded.status_code == 200, uploaded.text
    finally:
        await person.close()
        if filler is not None:
            filler.unlink()
    db = Database(settings.effective_database_url)
    try:
        jobs = await jobs_settled(db, within=20)
        assert set(jobs) == {"done"}, jobs
        with db.snapshot() as session:
            local = dict(
                session.execute(
                    select(Post.id, Post.source)
                    .join(Account, Account.id == Post.account_id)
                    .where(Account.domain.is_(None))
                ).all()
            )
            remote_posts = set(
                session.execute(
                    select(Post.uri)
                    .join(Account, Account.id == Post.account_id)
                    .where(Account.uri == remote.actor(MALLORY))
                ).scalars()
            )
    finally:
        db.close()
        node.stop()
    assert local == writes.posted  # every post answered 200 is there, no refused one is
    assert remote_posts == writes.delivered | {parent["id"]}
    assert {activity["object"]["id"] for activity in writes.undelivered} <= writes.delivered  # type: ignore[index]
    with sqlite3.connect(small_disk / "bocage.db") as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    for path in (small_disk / "media").rglob("*"):  # whole files under their digest only
        if path.is_file():
            name = MEDIA_FILE.match(str(path.relative_to(small_disk / "media")))
            assert name, f"a stray file in the media directory: {path}"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == name.group(1)
    log = node.log()
    assert "Traceback" not in log, log[-3000:]
    assert "activity ignored" not in log, log[-3000:]  # a full disk is not a refusal
    told = log.lower().count("out of disk space")  # the admin is told, not flooded
    assert 1 <= told <= 3, log[-3000:]


@pytest.fixture
def postgres_on_small_disk(databases: DatabaseFactory) -> Iterator[tuple[str, Path]]:
    """A fresh migrated PostgreSQL database whose files are on a 32 MB tmpfs (a tablespace
    there), and that tmpfs; when the server runs on this machine, as `postgres`."""
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("the PostgreSQL server does not run here: it cannot be given a tmpfs")
    root = Path(tempfile.mkdtemp(prefix="bocage-pg-full-"))
    root.chmod(0o755)
    tablespace = f"bocage_full_{uuid.uuid4().hex[:10]}"
    try:
        with tmpfs(root, "32m", mode="0755") as disk:
            place = disk / "tablespace"
            place.mkdir()
            os.chown(place, owner.pw_uid, owner.pw_gid)
            try:
                databases.admin(f"CREATE TABLESPACE {tablespace} LOCATION '{place}'")
            except psycopg.Error as refused:
                pytest.skip(f"the PostgreSQL server cannot use {place}: {refused}")
            url = databases.postgresql(tablespace)
            try:
                yield url, disk
            finally:
                databases.drop(url)
                databases.admin(f"DROP TABLESPACE {tablespace}")
    finally:
        root.rmdir()


@pytest.mark.postgres
async def test_a_full_disk_under_postgresql_is_the_same_clear_refusal(
    postgres_on_small_disk: tuple[str, Path], tmp_path: Path
) -> None:
    """PostgreSQL's own "could not extend file" (disk_full) is the same StorageFull the faces
    answer 507, and writes work again once there is room, with nothing lost."""
    url, disk = postgres_on_small_disk
    node = Node(make_settings(tmp_path / "data", url), run_worker=False)
    await node.start()
    try:
        alice = make_user(node, "alice")
        stored: list[int] = []
        filler = fill(disk)
        try:
            with pytest.raises(StorageFull) as refused:
                for n in range(5000):
                    draft = posts.PostDraft(f"post {n} " + "words " * 80)
                    stored.append((await node.db.write(posts.publish, node.ctx, alice, draft)).id)
        finally:
            filler.unlink()
        assert refused.value.message == FULL
        said = refused.value.__cause__
        assert getattr(getattr(said, "orig", said), "sqlstate", None) == full.DISK_FULL_SQLSTATE
        print(f"\nrefused after {len(stored)} posts: {said}")
        after = await node.db.write(posts.publish, node.ctx, alice, posts.PostDraft("after"))
        with node.db.snapshot() as session:
            ids = set(session.execute(select(Post.id).where(Post.account_id == alice.id)).scalars())
        assert ids == {*stored, after.id}
    finally:
        await node.stop()

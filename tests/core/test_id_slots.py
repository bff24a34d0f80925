"""Ids made by several processes writing to one database never meet (kernel/ids.py slots,
store/id_slots.py), on SQLite and PostgreSQL: real processes, real locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bocage.kernel.ids import SLOT_BITS, SLOTS, new_id
from bocage.store import id_slots
from bocage.store.db import Database, sync_url
from bocage.store.models import Job
from tests.databases import DatabaseFactory
from tests.integration.helpers import assert_clean_failure, bocage_many, make_node_dir

# A process that enqueues jobs as fast as it can from a given moment on, then prints how many
# of its transactions failed.
WRITER = """
import sys, time
from bocage.store.queue import enqueue
from bocage.store.db import Database
url, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
db = Database(url)
db.id_slot()
time.sleep(max(0.0, start - time.time()))
failed = 0
for n in range(rounds):
    try:
        with db.transaction() as session:
            for _ in range(10):
                enqueue(session, "demo", {"n": n})
    except Exception:  # a duplicate id (raised by the driver or by SQLAlchemy)
        failed += 1
db.close()
print(failed)
"""
# A process that holds a slot until it is killed.
HOLDER = """
import sys, time
from bocage.store.db import Database
db = Database(sys.argv[1])
print(db.id_slot(), flush=True)
time.sleep(600)
"""


def python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )


def test_ids_of_a_write_transaction_carry_the_slot_of_its_database(
    backend: str, databases: DatabaseFactory
) -> None:
    url = databases.url(backend)
    first, second = Database(url), Database(url)
    try:
        with first.transaction():
            mine = [new_id() for _ in range(5000)]  # more than a millisecond's counter
        with second.transaction():
            theirs = new_id()
        assert (first.id_slot(), second.id_slot()) == (0, 1)  # one each, held meanwhile
        assert {identifier % SLOTS for identifier in mine} == {0}
        assert theirs % SLOTS == 1
        assert len(set(mine)) == len(mine) and mine == sorted(mine)
        first.close()
        third = Database(url)
        assert third.id_slot() == 0  # released by close()
        third.close()
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_two_processes_writing_at_once_never_make_the_same_id(
    backend: str, databases: DatabaseFactory
) -> None:
    url = sync_url(databases.url(backend))
    start = str(time.time() + 2.0)  # both are importing meanwhile
    rounds = 400
    writers = [python(WRITER, url, start, str(rounds)) for _ in range(2)]
    failed = [int(writer.communicate(timeout=120)[0].strip()) for writer in writers]
    assert failed == [0, 0], f"transactions that failed on a duplicate id: {failed}"
    db = Database(url)
    try:
        with db.snapshot() as session:
            stored = session.execute(select(func.count()).select_from(Job)).scalar_one()
        assert stored == 2 * rounds * 10
    finally:
        db.close()


@pytest.mark.slow
def test_a_killed_process_frees_its_slot(backend: str, databases: DatabaseFactory) -> None:
    url = sync_url(databases.url(backend))
    holder = python(HOLDER, url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "0"
        second = id_slots.claim(url)
        assert second.number == 1  # 0 is held by the other process
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:  # PostgreSQL notices the dead session's socket close at once, in practice
            again = id_slots.claim(url)
            if again.number == 0 or time.monotonic() > deadline:
                break
            again.release()
            time.sleep(0.05)
        assert again.number == 0
        again.release()
        second.release()
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)


def test_a_process_beyond_the_last_slot_is_refused_clearly(
    backend: str, databases: DatabaseFactory
) -> None:
    url = sync_url(databases.url(backend))
    held = [id_slots.claim(url) for _ in range(SLOTS)]
    try:
        assert sorted(slot.number for slot in held) == list(range(SLOTS))
        with pytest.raises(id_slots.SlotsTaken, match=f"{SLOTS} Bocage processes already"):
            id_slots.claim(url)
    finally:
        for slot in held:
            slot.release()


@pytest.mark.slow
def test_a_command_beyond_the_last_slot_says_why(tmp_path: Path) -> None:
    settings = make_node_dir(tmp_path / "data")
    held = [id_slots.claim(sync_url(settings.effective_database_url)) for _ in range(SLOTS)]
    try:
        data = str(tmp_path / "data")
        commands = [
            ("user", "create", "zoe", "--email", "zoe@example.org", "--password", "secret words",
             "--data", data),
            ("worker", "--once", "--data", data),
        ]  # fmt: skip
        for result in bocage_many([(command, {}) for command in commands], cwd=tmp_path):
            assert_clean_failure(result, "Bocage processes already write to this database")
    finally:
        for slot in held:
            slot.release()


def test_slot_bits_leave_ids_time_sorted() -> None:
    assert SLOTS == 1 << SLOT_BITS
    earlier = new_id()
    time.sleep(0.002)
    assert new_id() > earlier

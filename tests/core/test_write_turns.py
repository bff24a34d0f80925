"""Two processes writing to one SQLite file take turns (store/write_turns.py): neither waits
seconds for the write lock while the other keeps taking it. Real processes, real locks."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bocage.store.db import sync_url
from tests.databases import DatabaseFactory

pytestmark = pytest.mark.slow

# Write transactions back to back, each with a millisecond of work inside (about what
# publishing a post does in the writer), from a given moment on; print the waits.
WRITER = """
import json, sys, time
from bocage.store.queue import enqueue
from bocage.store.db import Database
url, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
db = Database(url)
db.id_slot()
time.sleep(max(0.0, start - time.time()))
took = []
began = time.perf_counter()
for n in range(rounds):
    asked = time.perf_counter()
    with db.transaction() as session:
        enqueue(session, "demo", {"n": n})
        time.sleep(0.001)
    took.append(time.perf_counter() - asked)
print(json.dumps({"longest": max(took), "per_second": rounds / (time.perf_counter() - began)}))
db.close()
"""


def test_two_busy_writers_take_turns(databases: DatabaseFactory) -> None:
    url = sync_url(databases.sqlite())
    start = str(time.time() + 2.0)  # both are importing meanwhile
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, start, "800"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [json.loads(writer.communicate(timeout=120)[0]) for writer in writers]
    # SQLite's polling let one process wait 0.55 to 2.8 s for its turn while the other wrote
    # up to twice as often; in turns, both wait at most ~0.1 s and write as often.
    assert max(result["longest"] for result in results) < 0.5, results
    rates = sorted(result["per_second"] for result in results)
    assert rates[1] < 1.5 * rates[0], results

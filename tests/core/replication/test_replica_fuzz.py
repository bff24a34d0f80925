"""Property tests of replication's intake (core/replication/verify.py, replica.accept): a real
log, written by alice's node, offered to a mirror (SQLite and PostgreSQL) with its lines, entries
and activities changed any way a peer could (any JSON value in any field, lines dropped,
repeated, swapped). Checking an entry raises `Rejected` or passes; accepting a page answers
an `Accepted` and leaves a log without gaps, whose rows the database takes."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bocage.core.replication import replica, verify
from bocage.crypto.keys import public_key_from_did
from bocage.federation import intake
from bocage.node import Node
from bocage.store.models import Account, LogEntry
from tests.conftest import make_settings
from tests.core.helpers import post, user
from tests.core.replication.test_verification import HOME, PEER, alice_on, served_log
from tests.fuzz import JSON

ENTRY_FIELDS = ["author", "seq", "prev", "id", "digest", "signature", "extra"]
ACTIVITY_FIELDS = ["id", "type", "actor", "object", "to", "cc", "proof", "published"]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def received(lines: list[Any]) -> list[Any]:
    """A page as a peer's NDJSON reaches `accept`: each line JSON text, read by orjson (a
    page with a line orjson refuses is refused whole, before `accept`)."""
    try:
        return [orjson.loads(json.dumps(line)) for line in lines]
    except (orjson.JSONDecodeError, ValueError):
        reject()
        raise


class _Undo(Exception):
    """Rolls a unit of work back: each example starts from the same mirror."""


@pytest.fixture
async def alice_log(tmp_path: Path) -> AsyncIterator[tuple[Account, list[dict[str, Any]]]]:
    settings_ = make_settings(tmp_path / "home", f"sqlite:///{tmp_path}/home.db", domain=HOME)
    home = Node(settings_, run_worker=False)
    await home.start()
    alice = user(home, "alice")
    for n in range(3):
        post(home, alice, f"words {n} #tag")
    post(home, alice, "only for followers", visibility="private")
    yield alice, served_log(home, alice)
    await home.stop()


@st.composite
def changed(draw: st.DrawFn, lines: list[dict[str, Any]]) -> list[Any]:
    """The page with a few changes a bad (or broken) peer could make."""
    page: list[Any] = copy.deepcopy(lines)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if not page:
            break
        at = draw(st.integers(min_value=0, max_value=len(page) - 1))
        change = draw(st.sampled_from(["entry", "activity", "line", "drop", "repeat", "swap"]))
        line = page[at]
        if change == "entry" and isinstance(line, dict) and isinstance(line.get("entry"), dict):
            line["entry"][draw(st.sampled_from(ENTRY_FIELDS))] = draw(JSON)
        elif (
            change == "activity"
            and isinstance(line, dict)
            and isinstance(line.get("activity"), dict)
        ):
            line["activity"][draw(st.sampled_from(ACTIVITY_FIELDS))] = draw(JSON)
        elif change == "line":
            page[at] = draw(JSON)
        elif change == "drop":
            page.pop(at)
        elif change == "repeat":
            page.insert(at, copy.deepcopy(line))
        else:
            page[0], page[at] = page[at], page[0]
    return page


@FUZZ
@given(data=st.data())
def test_any_page_is_accepted_or_refused_and_leaves_no_gap(
    node: Node, alice_log: tuple[Account, list[dict[str, Any]]], data: st.DataObject
) -> None:
    alice, lines = alice_log
    account_id = alice_on(node, alice)
    page = received(data.draw(st.one_of(changed(lines), st.lists(JSON, max_size=3))))
    with suppress(_Undo), node.db.transaction() as session:
        accepted = replica.accept(session, account_id, page, PEER, intake.store_replicated)
        assert isinstance(accepted, replica.Accepted)
        session.flush()  # every row it added goes to the database now, within the test
        account = session.get(Account, account_id)
        assert account is not None
        rows = session.scalar(
            select(func.count()).select_from(LogEntry).where(LogEntry.account_id == account_id)
        )
        assert account.log_seq == rows  # stored in order from the first: no gap
        raise _Undo


def test_the_untouched_log_is_accepted_whole(
    node: Node, alice_log: tuple[Account, list[dict[str, Any]]]
) -> None:
    alice, lines = alice_log
    account_id = alice_on(node, alice)
    with node.db.transaction() as session:
        accepted = replica.accept(session, account_id, lines, PEER, intake.store_replicated)
        assert accepted.stored == len(lines)


@settings(max_examples=300)
@given(JSON)
@example({"author": "did:key:z", "seq": 1, "id": "x", "digest": "d", "signature": "z",
          "n": 2**60})  # fmt: skip
@example({"author": "did:key:z", "seq": 1, "id": "x", "digest": "d", "signature": "z",
          "n": float("nan")})  # fmt: skip
def test_any_entry_is_checked_or_rejected(entry: Any) -> None:
    [entry] = received([entry])
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    key = public_key_from_did(did)
    with suppress(verify.Rejected):
        verify.check_signed(entry, did, key)
    if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
        with suppress(verify.Rejected):
            verify.check_activity(entry | {"digest": "", "id": ""}, entry, key, "https://x")

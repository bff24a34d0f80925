"""Every entry from a peer is checked before it is stored: signature, seq, prev, digest and
proof. Alice's real log (written by her node) is offered to a second node, intact and
tampered with in each way a bad peer could."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import base58
import orjson
import pytest
from sqlalchemy import func, select

from bocage.activitypub import receive
from bocage.core.authorship import authoring
from bocage.core.authorship.authoring import identity_key
from bocage.core.inbound import remote
from bocage.core.posts import posts
from bocage.core.replication import replica, verify
from bocage.core.replication.verify import entry_hash
from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import canonical_json, digest
from bocage.federation import intake, normalize
from bocage.kernel.clock import now
from bocage.node import Node
from bocage.store.models import Account, InboundActivity, LogEntry, LogFork, RemoteActor
from tests.conftest import make_settings
from tests.core.helpers import post, user

PEER = "http://127.0.0.9:1"
HOME = "127.0.0.9:2"  # Alice's node, as the mirror sees it: nothing answers there


@pytest.fixture
async def home(tmp_path: Path) -> AsyncIterator[Node]:
    settings = make_settings(tmp_path / "home", f"sqlite:///{tmp_path}/home.db", domain=HOME)
    started = Node(settings, run_worker=False)
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
async def mirror(tmp_path: Path) -> AsyncIterator[Node]:
    settings = make_settings(tmp_path / "mirror", f"sqlite:///{tmp_path}/mirror.db")
    started = Node(settings, run_worker=False)
    await started.start()
    yield started
    await started.stop()


def served_log(home: Node, author: Account) -> list[dict[str, Any]]:
    """Alice's log as her node's gateway serves it."""
    with home.db.snapshot() as session:
        account = session.get(Account, author.id)
        assert account is not None
        return [orjson.loads(line) for line in replica.page(session, account, 0, 1000)]


def alice_on(mirror: Node, alice: Account) -> int:
    """Alice as the mirror knows her: a remote account with her did (her actor document's
    identity proof checked)."""
    with mirror.db.transaction() as session:
        profile = remote.ActorProfile(
            uri=alice.uri, username="alice", domain=HOME, inbox=f"{alice.uri}/inbox",
            did=alice.did, did_proven=True,
        )  # fmt: skip
        return remote.upsert_actor(session, profile).id


def offer(mirror: Node, account_id: int, lines: list[Any]) -> replica.Accepted:
    with mirror.db.transaction() as session:
        return replica.accept(session, account_id, lines, PEER, intake.store_replicated)


def held(mirror: Node, account_id: int) -> int:
    with mirror.db.snapshot() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account.log_seq


@pytest.fixture
def alice_log(home: Node) -> tuple[Account, list[dict[str, Any]]]:
    alice = user(home, "alice")
    for n in range(3):
        post(home, alice, f"words {n}")
    post(home, alice, "only for followers", visibility="private")
    return alice, served_log(home, alice)


def test_an_intact_log_is_stored_and_applied_once(mirror: Node, alice_log: Any) -> None:
    alice, lines = alice_log
    account_id = alice_on(mirror, alice)
    accepted = offer(mirror, account_id, lines)
    assert (accepted.stored, accepted.reason) == (4, None)
    assert lines[-1]["activity"] is None and lines[-1]["withheld"] == "private"
    assert offer(mirror, account_id, lines).stored == 0  # a duplicate page changes nothing
    with mirror.db.snapshot() as session:
        assert session.scalar(select(func.count()).select_from(InboundActivity)) == 3
        mine = replica.page(session, session.get(Account, account_id), 0, 10)  # type: ignore[arg-type]
    assert [orjson.loads(line) for line in mine] == lines  # re-served byte for byte


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda line: line["activity"]["object"].update(content="<p>not Alice's</p>"), "digest"),
        (lambda line: line["entry"].update(seq=line["entry"]["seq"] + 1), "signature"),
        (lambda line: line["entry"].update(signature="z" + "1" * 80), "signature"),
        (lambda line: line["activity"].update(id="https://home.test/other"), "digest"),
        (lambda line: line.update(entry="not an entry"), "not a JSON object"),
    ],
)
def test_a_tampered_entry_is_rejected_and_nothing_after_it_is_stored(
    mirror: Node, alice_log: Any, tamper: Any, reason: str
) -> None:
    alice, lines = alice_log
    account_id = alice_on(mirror, alice)
    bad = copy.deepcopy(lines)
    tamper(bad[1])
    accepted = offer(mirror, account_id, bad)
    assert accepted.bad and accepted.stored == 1 and reason in (accepted.reason or "")
    assert held(mirror, account_id) == 1  # no gap: the good entries after it wait
    assert offer(mirror, account_id, lines).stored == 3  # an honest peer completes it


def test_a_gap_is_refused(mirror: Node, alice_log: Any) -> None:
    alice, lines = alice_log
    account_id = alice_on(mirror, alice)
    accepted = offer(mirror, account_id, lines[1:])
    assert accepted.bad and "gap" in (accepted.reason or "") and held(mirror, account_id) == 0


def test_an_activity_signed_by_someone_else_is_refused(
    home: Node, mirror: Node, alice_log: Any
) -> None:
    alice, lines = alice_log
    mallory = user(home, "mallory")
    post(home, mallory, "words 0")
    forged = served_log(home, mallory)[0]
    account_id = alice_on(mirror, alice)
    line = {"entry": lines[0]["entry"], "activity": forged["activity"]}
    accepted = offer(mirror, account_id, [line])
    assert accepted.bad and held(mirror, account_id) == 0


def test_only_a_genuine_entry_by_another_actor_than_the_bound_one_is_unbound(
    home: Node, alice_log: Any
) -> None:
    """Alice's own entry, offered for her did while this node binds the did to another actor
    (a squatter's, say): genuine, so the fault is the binding's, not the peer's (`Unbound`).
    Anything the did's key did not sign stays a plain rejection."""
    alice, lines = alice_log
    key = public_key_from_did(alice.did or "")
    entry = verify.check_signed(lines[0]["entry"], alice.did or "", key)
    assert verify.check_activity(entry, lines[0]["activity"], key, alice.uri)
    squatter = "http://127.0.0.9:3/users/carol"
    with pytest.raises(verify.Unbound, match=re.escape(f"is not by {squatter}")):
        verify.check_activity(entry, lines[0]["activity"], key, squatter)
    mallory = user(home, "mallory")
    post(home, mallory, "words 0")
    forged = served_log(home, mallory)[0]["activity"]
    forged["id"] = entry["id"]  # another actor's activity under Alice's entry
    # An entry by Alice's key over an activity without a valid proof, by someone else: the
    # proof fails first, so it is no binding question.
    unproven = {**lines[0]["activity"], "actor": "http://127.0.0.9:4/users/someone"}
    resigned = {**entry, "digest": digest(unproven)}
    del resigned["signature"]
    signature = identity_key(alice).sign(canonical_json(resigned))
    resigned["signature"] = "z" + base58.b58encode(signature).decode()
    cases = [(entry, forged), (entry, {**lines[0]["activity"], "proof": forged["proof"]}),
             (verify.check_signed(resigned, alice.did or "", key), unproven)]  # fmt: skip
    for signed, bad in cases:
        with pytest.raises(verify.Rejected) as refused:
            verify.check_activity(signed, bad, key, squatter)
        assert not isinstance(refused.value, verify.Unbound), refused.value


def test_two_signed_entries_with_one_seq_are_a_fork(
    home: Node, mirror: Node, alice_log: Any
) -> None:
    alice, lines = alice_log
    account_id = alice_on(mirror, alice)
    offer(mirror, account_id, lines)
    # Alice's key signs another history: her node restored from an old backup, say.
    with home.db.transaction() as session:
        session.execute(LogEntry.__table__.delete().where(LogEntry.seq >= 3))
        account = session.get(Account, alice.id)
        account.log_seq = 2  # type: ignore[union-attr]
        account.log_head = entry_hash(lines[1]["entry"])  # type: ignore[union-attr]
    post(home, alice, "a different third post")
    other = served_log(home, alice)
    accepted = offer(mirror, account_id, other[2:3])
    assert accepted.forked and not accepted.bad
    with mirror.db.snapshot() as session:
        assert session.get(LogFork, account_id) is not None
        assert replica.clock(session) == {}  # no longer offered to anyone
        assert [f.seq for f in replica.forks(session)] == [3]
    assert offer(mirror, account_id, lines).reason == "this log is not replicated here"


def test_a_deleted_post_is_purged_and_never_stored_again(home: Node, mirror: Node) -> None:
    alice = user(home, "alice")
    doomed = post(home, alice, "to be taken back")
    old = served_log(home, alice)
    with home.db.transaction() as session:
        posts.delete_post(session, home.ctx, session.get(Account, alice.id), doomed.id)  # type: ignore[arg-type]
    lines = served_log(home, alice)
    assert lines[0]["activity"] is None and lines[0]["withheld"] == "deleted"
    account_id = alice_on(mirror, alice)
    assert offer(mirror, account_id, old).stored == 1  # the mirror saw the post first…
    assert offer(mirror, account_id, lines).stored == 1  # …then its Delete
    with mirror.db.snapshot() as session:
        stored = session.get(LogEntry, (account_id, 1))
        assert stored is not None and stored.activity is None  # purged
        assert remote.is_tombstoned(session, doomed.uri)


async def test_edits_stand_in_the_authors_order_not_the_order_they_are_applied(
    home: Node, mirror: Node
) -> None:
    alice = user(home, "alice")
    note = post(home, alice, "first words")
    for text in ("second words", "third words"):
        with home.db.transaction() as session:
            author = session.get(Account, alice.id)
            draft = posts.PostDraft(text, "", "public", None, None)
            posts.edit(session, home.ctx, author, note.id, draft)  # type: ignore[arg-type]
    account_id = alice_on(mirror, alice)
    assert offer(mirror, account_id, served_log(home, alice)).stored == 3
    with mirror.db.snapshot() as session:
        inbound = {row.activity_id: row.id for row in session.scalars(select(InboundActivity))}
        kinds = {e.activity_id: e.activity_type for e in session.scalars(select(LogEntry))}
    create = next(i for a, i in inbound.items() if kinds[a] == "Create")
    first_edit, last_edit = [i for a, i in sorted(inbound.items(), key=lambda p: p[1])
                             if kinds[a] == "Update"]  # fmt: skip
    # Worst case: the last edit's job runs before the first one's.
    for inbound_id in (create, last_edit, first_edit):
        await receive.process(mirror.federation, {"inbound_id": inbound_id})
    with mirror.db.snapshot() as session:
        stored = remote.post_by_uri(session, note.uri)
        assert stored is not None and "third words" in stored.content


async def test_posts_are_applied_while_the_authors_node_is_down_for_days(
    home: Node, mirror: Node
) -> None:
    """Catch-up after days offline: the author's profile here is stale and cannot be fetched
    again (her node is down), which must not keep her replicated posts from showing."""
    alice = user(home, "alice")
    note = post(home, alice, "written while you were away")
    account_id = alice_on(mirror, alice)
    with mirror.db.transaction() as session:
        actor = session.get(RemoteActor, account_id)
        actor.fetched_at = now() - timedelta(days=3)  # type: ignore[union-attr]
    assert offer(mirror, account_id, served_log(home, alice)).stored == 1
    await mirror.worker.run_until_idle()
    with mirror.db.snapshot() as session:
        assert remote.post_by_uri(session, note.uri) is not None


VICTIM = "http://127.0.0.9:5/users/vic"  # another server, whose ids are predictable


async def test_a_replicated_activity_cannot_take_another_servers_activity_id(
    home: Node, mirror: Node
) -> None:
    """Mallory signs, in her own genuine log, a Like whose id is the id Vic's server will give
    its next Delete. Replicated to the mirror, it must not stand for that Delete: the real one,
    delivered later, still takes Vic's post down (before: a silent duplicate, the post stayed)."""
    mallory = user(home, "mallory")
    doomed = f"{VICTIM}/statuses/1"
    with home.db.transaction() as session:
        author = session.get(Account, mallory.id)
        assert author is not None
        like = {"id": f"{doomed}#delete", "type": "Like", "actor": author.uri, "object": doomed,
                "to": ["https://www.w3.org/ns/activitystreams#Public"]}  # fmt: skip
        authoring.append(session, author, like)
    with mirror.db.transaction() as session:
        vic = remote.upsert_actor(session, remote.ActorProfile(
            uri=VICTIM, username="vic", domain="127.0.0.9:5", inbox=f"{VICTIM}/inbox"))  # fmt: skip
        remote.receive_post(session, vic, remote.RemotePost(
            uri=doomed, author_uri=VICTIM, content="<p>gone</p>", published=now()))  # fmt: skip
    account_id = alice_on(mirror, mallory)
    accepted = offer(mirror, account_id, served_log(home, mallory))
    assert accepted.stored == 1 and not accepted.bad  # her log is hers: kept, not applied

    delete = {"id": f"{doomed}#delete", "type": "Delete", "actor": VICTIM, "object": doomed}
    with mirror.db.transaction() as session:
        intake.store(session, normalize.activity(delete), orjson.dumps(delete), "signature")
    await mirror.worker.run_until_idle()
    with mirror.db.snapshot() as session:
        assert remote.post_by_uri(session, doomed) is None
        assert remote.is_tombstoned(session, doomed)
        by_id = session.scalars(
            select(InboundActivity.actor).where(InboundActivity.activity_id == delete["id"])
        )
        assert list(by_id) == [VICTIM]


async def test_one_activity_id_is_unique_per_actor_not_across_actors(mirror: Node) -> None:
    """De-duplication is scoped by actor: the same id from two actors is two activities."""
    first = {"id": "http://127.0.0.9:5/x/1", "type": "Like", "actor": VICTIM, "object": "x"}
    again = {**first, "object": "y"}
    with mirror.db.transaction() as session:
        for activity in (first, again):  # the same actor twice: one row
            intake.store(session, normalize.activity(activity), orjson.dumps(activity), "proof")
        other = {**first, "actor": "http://127.0.0.9:5/users/someone"}
        intake.store(session, normalize.activity(other), orjson.dumps(other), "proof")
    with mirror.db.snapshot() as session:
        rows = session.execute(select(InboundActivity.actor, InboundActivity.activity_id))
        assert sorted(rows) == sorted(
            [(VICTIM, first["id"]), ("http://127.0.0.9:5/users/someone", first["id"])]
        )

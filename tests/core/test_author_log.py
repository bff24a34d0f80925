"""The signed author log: contiguous, hash-linked, signed entries over proof-carrying activities.

Everything here is checked the way a peer would check it: with nothing but the author's
did:key, the entry JSON and the activity JSON.
"""

from __future__ import annotations

import copy
from typing import Any

import base58
import orjson
from sqlalchemy import select

from bocage.core.authorship import authoring
from bocage.core.graph import graph
from bocage.core.inbound import remote
from bocage.core.posts import posts
from bocage.crypto.keys import public_key_from_did, verify_signature
from bocage.crypto.proofs import canonical_json, digest, verify_object
from bocage.node import Node
from bocage.store.models import Account, Job, LogEntry
from tests.core.helpers import boost, favourite, follow, fresh, post, reply, user


def log_of(node: Node, account: Account) -> list[LogEntry]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(LogEntry).where(LogEntry.account_id == account.id).order_by(LogEntry.seq)
        )
        return list(rows.scalars())


def entry_signature_ok(entry: dict[str, Any], did: str) -> bool:
    signature = entry["signature"]
    assert signature.startswith("z")
    unsigned = {key: value for key, value in entry.items() if key != "signature"}
    return verify_signature(
        public_key_from_did(did), canonical_json(unsigned), base58.b58decode(signature[1:])
    )


def check_chain(rows: list[LogEntry], account: Account) -> None:
    """Everything a peer checks when it receives this author's log."""
    assert account.did is not None
    public = public_key_from_did(account.did)
    previous_hash = None
    for number, row in enumerate(rows, start=1):
        entry = orjson.loads(row.entry)
        assert set(entry) == {"author", "seq", "prev", "id", "digest", "signature"}
        assert entry["author"] == account.did
        assert entry["seq"] == row.seq == number
        assert entry["prev"] == previous_hash
        assert entry["id"] == row.activity_id
        assert entry["digest"] == row.digest
        assert digest(entry) == row.entry_hash
        assert entry_signature_ok(entry, account.did)
        if row.activity is not None:
            activity = orjson.loads(row.activity)
            assert activity["id"] == entry["id"]
            assert activity["type"] == row.activity_type
            assert activity["actor"] == account.uri
            assert digest(activity) == entry["digest"]
            verdict = verify_object(activity, public, proof_purpose="assertionMethod")
            assert verdict.valid, verdict.reason
            assert verdict.verification_method == authoring.verification_method(account.did)
            assert activity["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        previous_hash = row.entry_hash
    assert account.log_seq == len(rows)
    assert account.log_head == previous_hash


def test_every_action_extends_a_valid_chain(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob", locked=True)
    carol = user(node, "carol")
    first = post(node, alice, "hello #world @carol")
    reply(node, alice, first, "replying to myself")
    theirs = post(node, carol, "carol's")
    favourite(node, alice, theirs.id)
    boost(node, alice, theirs.id)
    follow(node, alice, carol)
    follow(node, alice, bob)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, first.id, posts.PostDraft("hello again"))
        posts.unfavourite(session, node.ctx, alice, theirs.id)
        posts.unboost(session, node.ctx, alice, theirs.id)
        graph.block(session, node.ctx, alice, carol)
    with node.db.transaction() as session:
        graph.unblock(session, node.ctx, alice, carol)
        graph.accept_request(session, node.ctx, bob, alice.id)
        posts.delete_post(session, node.ctx, alice, first.id)

    rows = log_of(node, alice)
    assert [row.activity_type for row in rows] == [
        "Create",
        "Create",
        "Like",
        "Announce",
        "Follow",
        "Follow",
        "Update",
        "Undo",
        "Undo",
        "Block",
        "Undo",
        "Delete",
    ]
    check_chain(rows, fresh(node, alice))
    check_chain(log_of(node, bob), fresh(node, bob))
    check_chain(log_of(node, carol), fresh(node, carol))
    assert [row.activity_type for row in log_of(node, bob)] == ["Accept"]
    assert [row.activity_type for row in log_of(node, carol)] == ["Create", "Accept"]


def test_purged_entries_keep_the_chain_verifiable(node: Node) -> None:
    alice = user(node, "alice")
    doomed = post(node, alice, "delete me")
    post(node, alice, "keep me")
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, alice, doomed.id)
    rows = log_of(node, alice)
    assert [(row.activity_type, row.activity is None) for row in rows] == [
        ("Create", True),
        ("Create", False),
        ("Delete", False),
    ]
    check_chain(rows, fresh(node, alice))
    delete = orjson.loads(rows[2].activity or "null")
    assert delete["object"]["id"] == doomed.uri


def test_tampering_fails_verification(node: Node) -> None:
    alice = user(node, "alice")
    post(node, alice, "the original words")
    [row] = log_of(node, alice)
    assert alice.did is not None
    public = public_key_from_did(alice.did)
    activity = orjson.loads(row.activity or "null")
    assert verify_object(activity, public).valid

    changed = copy.deepcopy(activity)
    changed["object"]["content"] = "<p>words never written</p>"
    assert not verify_object(changed, public).valid
    assert digest(changed) != row.digest

    readdressed = copy.deepcopy(activity)
    readdressed["to"] = []
    assert not verify_object(readdressed, public).valid

    bob = user(node, "bob")
    assert bob.did is not None
    assert not verify_object(activity, public_key_from_did(bob.did)).valid

    # A tampered entry fails too.
    post(node, alice, "one")
    post(node, alice, "two")
    _, first, second = log_of(node, alice)
    assert alice.did is not None
    entry = orjson.loads(second.entry)
    assert entry_signature_ok(entry, alice.did)
    for key, value in (
        ("seq", 4),
        ("prev", None),
        ("digest", first.digest),
        ("id", first.activity_id),
    ):
        forged = {**entry, key: value}
        assert not entry_signature_ok(forged, alice.did), key
    assert not entry_signature_ok(entry, bob.did)


def test_logs_of_different_authors_are_independent(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    for n in range(3):
        post(node, alice, f"alice {n}")
        post(node, bob, f"bob {n}")
    follow(node, alice, bob)  # Follow in alice's log, Accept in bob's, one transaction
    alice_rows = log_of(node, alice)
    bob_rows = log_of(node, bob)
    assert [r.seq for r in alice_rows] == [1, 2, 3, 4]
    assert [r.seq for r in bob_rows] == [1, 2, 3, 4]
    assert [r.activity_type for r in bob_rows] == ["Create", "Create", "Create", "Accept"]
    check_chain(alice_rows, fresh(node, alice))
    check_chain(bob_rows, fresh(node, bob))

    # A rolled-back action leaves no entry and no gap.
    post(node, alice, "one")
    try:
        with node.db.transaction() as session:
            posts.publish(session, node.ctx, alice, posts.PostDraft("two"))
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    post(node, alice, "three")
    rows = log_of(node, alice)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "three" in (rows[5].activity or "")
    check_chain(rows, fresh(node, alice))


def federate_jobs(node: Node) -> int:
    with node.db.snapshot() as session:
        return len(session.execute(select(Job.id).where(Job.kind == "federate")).all())


def test_only_what_may_reach_another_server_is_queued_for_federation(node: Node) -> None:
    """A `federate` job costs a third of a local post: none when nobody remote can get it."""
    alice, bob = user(node, "alice"), user(node, "bob")
    follow(node, bob, alice)
    baseline = federate_jobs(node)
    post(node, alice, "for the people of this node")
    post(node, alice, "@bob only", visibility="direct")
    assert federate_jobs(node) == baseline

    with node.db.transaction() as session:
        zed = remote.upsert_actor(
            session,
            remote.ActorProfile(
                uri="https://far.example/users/zed", username="zed", domain="far.example",
                inbox="https://far.example/users/zed/inbox",
            ),
        )  # fmt: skip
    post(node, alice, "@zed@far.example hello", visibility="direct")  # names someone remote
    assert federate_jobs(node) == baseline + 1
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, session.get(Account, zed.id), fresh(node, alice))
    post(node, alice, "now a remote follower reads this")  # followers include someone remote
    assert federate_jobs(node) == baseline + 3  # the Accept of zed's follow, and the post

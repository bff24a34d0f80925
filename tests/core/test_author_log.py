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

from bocage.core import authoring, graph, posts
from bocage.crypto.keys import public_key_from_did, verify_signature
from bocage.crypto.proofs import canonical_json, digest, verify_object
from bocage.node import Node
from bocage.store.models import Account, LogEntry
from tests.core.helpers import boost, favourite, follow, fresh, post, reply, user


async def log_of(node: Node, account: Account) -> list[LogEntry]:
    async with node.db.read() as session:
        rows = await session.execute(
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


async def test_every_action_extends_a_valid_chain(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob", locked=True)
    carol = await user(node, "carol")
    first = await post(node, alice, "hello #world @carol")
    await reply(node, alice, first, "replying to myself")
    theirs = await post(node, carol, "carol's")
    await favourite(node, alice, theirs.id)
    await boost(node, alice, theirs.id)
    await follow(node, alice, carol)
    await follow(node, alice, bob)
    async with node.db.write() as session:
        await posts.edit(session, node.ctx, alice, first.id, posts.PostDraft("hello again"))
        await posts.unfavourite(session, node.ctx, alice, theirs.id)
        await posts.unboost(session, node.ctx, alice, theirs.id)
        await graph.block(session, node.ctx, alice, carol)
    async with node.db.write() as session:
        await graph.unblock(session, node.ctx, alice, carol)
        await graph.accept_request(session, node.ctx, bob, alice.id)
        await posts.delete_post(session, node.ctx, alice, first.id)

    rows = await log_of(node, alice)
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
    check_chain(rows, await fresh(node, alice))
    check_chain(await log_of(node, bob), await fresh(node, bob))
    check_chain(await log_of(node, carol), await fresh(node, carol))
    assert [row.activity_type for row in await log_of(node, bob)] == ["Accept"]
    assert [row.activity_type for row in await log_of(node, carol)] == ["Create", "Accept"]


async def test_purged_entries_keep_the_chain_verifiable(node: Node) -> None:
    alice = await user(node, "alice")
    doomed = await post(node, alice, "delete me")
    await post(node, alice, "keep me")
    async with node.db.write() as session:
        await posts.delete_post(session, node.ctx, alice, doomed.id)
    rows = await log_of(node, alice)
    assert [(row.activity_type, row.activity is None) for row in rows] == [
        ("Create", True),
        ("Create", False),
        ("Delete", False),
    ]
    check_chain(rows, await fresh(node, alice))
    delete = orjson.loads(rows[2].activity or "null")
    assert delete["object"]["id"] == doomed.uri


async def test_tampering_fails_verification(node: Node) -> None:
    alice = await user(node, "alice")
    await post(node, alice, "the original words")
    [row] = await log_of(node, alice)
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

    bob = await user(node, "bob")
    assert bob.did is not None
    assert not verify_object(activity, public_key_from_did(bob.did)).valid

    # A tampered entry fails too.
    await post(node, alice, "one")
    await post(node, alice, "two")
    _, first, second = await log_of(node, alice)
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


async def test_logs_of_different_authors_are_independent(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    for n in range(3):
        await post(node, alice, f"alice {n}")
        await post(node, bob, f"bob {n}")
    await follow(node, alice, bob)  # Follow in alice's log, Accept in bob's, one transaction
    alice_rows = await log_of(node, alice)
    bob_rows = await log_of(node, bob)
    assert [r.seq for r in alice_rows] == [1, 2, 3, 4]
    assert [r.seq for r in bob_rows] == [1, 2, 3, 4]
    assert [r.activity_type for r in bob_rows] == ["Create", "Create", "Create", "Accept"]
    check_chain(alice_rows, await fresh(node, alice))
    check_chain(bob_rows, await fresh(node, bob))

    # A rolled-back action leaves no entry and no gap.
    await post(node, alice, "one")
    try:
        async with node.db.write() as session:
            await posts.publish(session, node.ctx, alice, posts.PostDraft("two"))
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    await post(node, alice, "three")
    rows = await log_of(node, alice)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "three" in (rows[5].activity or "")
    check_chain(rows, await fresh(node, alice))

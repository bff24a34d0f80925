"""Storage budgets: beyond them the oldest remote content is evicted (its entries stay), per
author by seq, then in all by arrival; never Deletes, never what was authored here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bocage.core.replication import budget
from bocage.core.replication.budget import Eviction
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store.models import Account, GatewayConsent, LogEntry, MediaFile, Post
from tests.core.helpers import remote_user, user

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    size: int  # bytes of UTF-8
    minute: int = 0  # when the entry was stored here, in minutes after EPOCH
    kind: str = "Create"
    char: str = "x"


def remote(node: Node, name: str) -> Account:
    return remote_user(node, f"https://remote.test/users/{name}")


def write_log(node: Node, account: Account, specs: list[Spec]) -> None:
    """Log entries stored as-is, seq 1, 2, …: the budget reads sizes, it verifies nothing."""
    with node.db.transaction() as session:
        for seq, spec in enumerate(specs, start=1):
            text = spec.char * (spec.size // len(spec.char.encode()))
            assert len(text.encode()) == spec.size
            session.add(
                LogEntry(
                    account_id=account.id,
                    seq=seq,
                    activity_id=f"{account.uri}/activities/{seq}",
                    object_id=f"{account.uri}/objects/{seq}",
                    activity_type=spec.kind,
                    digest=f"digest-{seq}",
                    entry_hash=f"hash-{seq}",
                    entry=f'{{"seq":{seq}}}',
                    activity=text,
                    created_at=EPOCH + timedelta(minutes=spec.minute),
                )
            )


def enforce(node: Node, per_author: int, total: int) -> Eviction:
    with node.db.transaction() as session:
        return budget.enforce(session, per_author, total)


def evicted(node: Node, account: Account) -> list[int]:
    """Seqs of the author's entries whose content is gone."""
    with node.db.snapshot() as session:
        return list(
            session.scalars(
                select(LogEntry.seq)
                .where(LogEntry.account_id == account.id, LogEntry.activity.is_(None))
                .order_by(LogEntry.seq)
            )
        )


def test_an_author_over_budget_loses_their_lowest_seqs_until_within_it(node: Node) -> None:
    alice, bob = remote(node, "alice"), remote(node, "bob")
    # Stored in reverse order: the per-author pass goes by seq, not by arrival.
    write_log(node, alice, [Spec(100, minute=10 - seq) for seq in range(5)])
    write_log(node, bob, [Spec(100), Spec(100)])

    # Alice holds 500 bytes for 250 allowed: seqs 1-3 go (300 freed), she is left with 200.
    assert enforce(node, per_author=250, total=0) == Eviction(entries=3, bytes=300, authors=1)
    assert evicted(node, alice) == [1, 2, 3]
    assert evicted(node, bob) == []
    assert enforce(node, per_author=250, total=0) == Eviction()


def test_the_total_budget_evicts_the_globally_oldest_entries(node: Node) -> None:
    alice, bob = remote(node, "alice"), remote(node, "bob")
    write_log(node, alice, [Spec(100, minute=1), Spec(100, minute=4), Spec(100, minute=5)])
    write_log(node, bob, [Spec(100, minute=2), Spec(100, minute=3), Spec(100, minute=6)])

    # 600 held, 250 allowed: the four oldest (minutes 1-4) go, 200 stay.
    assert enforce(node, per_author=0, total=250) == Eviction(entries=4, bytes=400, authors=2)
    assert evicted(node, alice) == [1, 2]
    assert evicted(node, bob) == [1, 2]
    assert enforce(node, per_author=0, total=250) == Eviction()


def test_ties_in_time_go_by_seq(node: Node) -> None:
    alice, bob = remote(node, "alice"), remote(node, "bob")
    write_log(node, alice, [Spec(100), Spec(100), Spec(100)])
    write_log(node, bob, [Spec(100)])

    assert enforce(node, per_author=0, total=300) == Eviction(entries=1, bytes=100, authors=1)
    with node.db.snapshot() as session:
        gone = session.execute(select(LogEntry.seq).where(LogEntry.activity.is_(None))).all()
    assert [seq for (seq,) in gone] == [1]


def test_the_author_pass_runs_first_then_the_total(node: Node) -> None:
    alice, bob = remote(node, "alice"), remote(node, "bob")
    write_log(node, alice, [Spec(100, minute=5 + seq) for seq in range(4)])
    write_log(node, bob, [Spec(100, minute=1), Spec(100, minute=2)])

    # Alice 400 > 300: her seq 1 goes. 500 remain > 250: Bob's two (oldest), then Alice's 2.
    result = enforce(node, per_author=300, total=250)
    assert result == Eviction(entries=4, bytes=400, authors=2)
    assert evicted(node, alice) == [1, 2]
    assert evicted(node, bob) == [1, 2]
    assert enforce(node, per_author=300, total=250) == Eviction()


def test_deletes_and_local_authors_are_never_evicted(node: Node) -> None:
    alice, carol = remote(node, "alice"), user(node, "carol")
    write_log(node, alice, [Spec(50, kind="Delete"), Spec(100, minute=1), Spec(50, kind="Delete")])
    write_log(node, carol, [Spec(1000), Spec(1000)])

    assert enforce(node, per_author=1, total=1) == Eviction(entries=1, bytes=100, authors=1)
    assert evicted(node, alice) == [2]
    assert evicted(node, carol) == []
    # Alice is still over budget with her Deletes alone, but nothing more can go.
    assert enforce(node, per_author=1, total=1) == Eviction()


def test_deletes_count_towards_the_budget(node: Node) -> None:
    alice = remote(node, "alice")
    write_log(node, alice, [Spec(100), Spec(300, kind="Delete")])

    assert enforce(node, per_author=350, total=0) == Eviction(entries=1, bytes=100, authors=1)
    assert evicted(node, alice) == [1]


def test_zero_means_unlimited(node: Node) -> None:
    alice, bob = remote(node, "alice"), remote(node, "bob")
    write_log(node, alice, [Spec(1000) for _ in range(3)])
    write_log(node, bob, [Spec(1000) for _ in range(3)])

    assert enforce(node, per_author=0, total=0) == Eviction()
    assert enforce(node, per_author=0, total=6000) == Eviction()
    assert enforce(node, per_author=3000, total=0) == Eviction()
    assert evicted(node, alice) == evicted(node, bob) == []


def test_sizes_are_bytes_of_utf8(node: Node) -> None:
    alice = remote(node, "alice")
    # 50 characters, 100 bytes each.
    write_log(node, alice, [Spec(100, char="é"), Spec(100, char="é")])

    assert enforce(node, per_author=150, total=0) == Eviction(entries=1, bytes=100, authors=1)


def test_the_entry_stays_only_its_content_goes(node: Node) -> None:
    alice = remote(node, "alice")
    write_log(node, alice, [Spec(100), Spec(100)])

    enforce(node, per_author=100, total=0)
    with node.db.snapshot() as session:
        first = session.get(LogEntry, (alice.id, 1))
        assert first is not None
        assert first.activity is None
        assert (first.entry, first.entry_hash, first.digest) == ('{"seq":1}', "hash-1", "digest-1")
        assert first.activity_type == "Create"


def test_walks_past_a_batch(node: Node) -> None:
    alice = remote(node, "alice")
    count = budget.BATCH * 2 + 10
    write_log(node, alice, [Spec(10) for _ in range(count)])

    result = enforce(node, per_author=50, total=0)
    assert result == Eviction(entries=count - 5, bytes=(count - 5) * 10, authors=1)
    assert evicted(node, alice) == list(range(1, count - 4))


def test_the_accounts_a_pub_keeps_are_never_evicted(node: Node) -> None:
    """A pub promised their whole log to the accounts that registered it."""
    kept, other = remote(node, "kept"), remote(node, "other")
    with node.db.transaction() as session:
        session.add(GatewayConsent(account_id=kept.id, consent="{}", received_at=EPOCH))
    write_log(node, kept, [Spec(100), Spec(100)])
    write_log(node, other, [Spec(100, minute=1), Spec(100, minute=1)])
    assert enforce(node, per_author=50, total=50) == Eviction(entries=2, bytes=200, authors=1)
    assert evicted(node, kept) == [] and evicted(node, other) == [1, 2]


def with_media(node: Node, account: Account, seq: int, sizes: list[int]) -> list[str]:
    """The post that entry `seq` creates, showing cached remote files of `sizes`: their keys."""
    keys = []
    with node.db.transaction() as session:
        post = Post(
            id=new_id(),
            account_id=account.id,
            uri=f"{account.uri}/objects/{seq}",
            visibility="public",
            created_at=EPOCH,
        )
        session.add(post)
        for n, size in enumerate(sizes):
            key = f"ab/cd/{seq:032d}{n:032d}.jpg"
            keys.append(key)
            session.add(
                MediaFile(
                    id=new_id(), account_id=account.id, post_id=post.id, storage_key=key,
                    preview_key=f"ab/cd/{seq:032d}{n:032d}.webp", size=size, kind="image",
                    purpose="attachment", content_type="image/jpeg", description="",
                    remote_url=f"{account.uri}/files/{seq}/{n}", created_at=EPOCH,
                )
            )  # fmt: skip
    return keys


def cached_keys(node: Node, account: Account) -> list[str | None]:
    with node.db.snapshot() as session:
        return list(
            session.scalars(
                select(MediaFile.storage_key)
                .where(MediaFile.account_id == account.id)
                .order_by(MediaFile.remote_url)
            )
        )


def test_the_files_of_a_replicated_post_count_and_go_with_its_create(node: Node) -> None:
    alice = remote(node, "alice")
    write_log(node, alice, [Spec(100), Spec(100), Spec(100, kind="Update")])
    old = with_media(node, alice, 1, [1000, 500])
    new = with_media(node, alice, 2, [1000])

    # 300 bytes of text and 2,500 of files: within 2,800, nothing goes.
    assert enforce(node, per_author=2800, total=0) == Eviction()
    # Within 1,500: the oldest entry goes with both of its post's files (1,600 bytes), and
    # their keys (originals and previews) are handed back to be removed.
    eviction = enforce(node, per_author=1500, total=0)
    assert (eviction.entries, eviction.bytes, eviction.authors) == (1, 1600, 1)
    previews = [key.replace(".jpg", ".webp") for key in old]
    assert sorted(eviction.files) == sorted(old + previews)
    assert evicted(node, alice) == [1]
    assert cached_keys(node, alice) == [None, None, *new]
    # The total counts files too: 1,200 left for 1,000 allowed, the next Create goes whole.
    assert enforce(node, per_author=0, total=1000).bytes == 1100
    assert cached_keys(node, alice) == [None, None, None]


def test_an_evicted_entry_whose_files_were_fetched_again_can_go_again(node: Node) -> None:
    alice = remote(node, "alice")
    write_log(node, alice, [Spec(100)])
    keys = with_media(node, alice, 1, [1000])
    assert enforce(node, per_author=500, total=0).bytes == 1100
    with node.db.transaction() as session:  # shown again: fetched from the origin or a peer
        row = session.scalars(select(MediaFile).where(MediaFile.account_id == alice.id)).one()
        row.storage_key = keys[0]
    assert enforce(node, per_author=500, total=0) == Eviction(1, 1000, 1, (keys[0],))

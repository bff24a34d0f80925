"""Domain blocks and allow-list mode: which servers a rule covers, and what each severity
does to the accounts, follows, notifications and deliveries of this node."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.activitypub import delivery
from bocage.core.graph import graph
from bocage.core.instance import domains
from bocage.core.moderation import domain_blocks
from bocage.core.posts import posts
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Follow, Job
from tests.core.helpers import fresh, notifications_of, post, remote_user, user


def rules_of(node: Node) -> domains.DomainRules:
    with node.db.snapshot() as session:
        return domains.rules(session)


def change(node: Node, action, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with node.db.transaction() as session:
        action(session, *args, **kwargs)


def test_a_block_covers_the_domain_and_its_subdomains_only(node: Node) -> None:
    change(node, domain_blocks.block, "https://Spam.Example/", "suspend")
    change(node, domain_blocks.block, "127.0.0.9:9", "silence")
    rules = rules_of(node)
    assert rules.refuses("spam.example") and rules.refuses("a.b.spam.example:8443")
    assert not rules.refuses("notspam.example") and not rules.refuses("example")
    assert rules.silences("127.0.0.9:9") and not rules.silences("127.0.0.9:10")
    assert rules.rejects_media("spam.example") and not rules.rejects_media("127.0.0.9:9")


@pytest.mark.parametrize("typed", ["", "localhost", "not a domain", "a/b c"])
def test_what_is_not_a_domain_is_refused(node: Node, typed: str) -> None:
    with pytest.raises(InvalidInput):
        change(node, domain_blocks.block, typed, "suspend")
    with pytest.raises(InvalidInput):
        change(node, domain_blocks.block, "fine.example", "obliterate")
    with pytest.raises(NotFound):
        change(node, domain_blocks.unblock, "never.example")
    assert rules_of(node).blocks == {}


def test_allow_list_mode_federates_only_with_the_allowed(node: Node) -> None:
    change(node, domains.allow, "friends.example")
    assert not rules_of(node).refuses("strangers.example")  # open mode: the list waits
    change(node, domains.set_mode, "allowlist")
    rules = rules_of(node)
    assert rules.refuses("strangers.example")
    assert not rules.refuses("friends.example") and not rules.refuses("m.friends.example")
    with pytest.raises(InvalidInput):
        change(node, domains.set_mode, "closed")


def test_suspending_a_server_hides_its_accounts_and_ends_follows(node: Node) -> None:
    alice = user(node, "alice")
    zed = remote_user(node, "https://spam.example/users/zed")
    ann = remote_user(node, "https://fine.example/users/ann")
    for follower, target in ((alice, zed), (zed, alice), (ann, alice)):
        with node.db.transaction() as session:
            graph.follow(session, node.ctx, fresh(node, follower), fresh(node, target))
    with node.db.transaction() as session:  # remote follows wait for an Accept: accept it
        for row in session.execute(select(Follow)).scalars():
            row.accepted = True
    with node.db.snapshot() as session:
        assert len(session.execute(select(Follow)).all()) == 3

    change(node, domain_blocks.block, "spam.example", "suspend", comment="spam wave")
    assert fresh(node, zed).suspended and not fresh(node, ann).suspended
    with node.db.snapshot() as session:
        left = session.execute(select(Follow.follower_id, Follow.target_id)).all()
    assert left == [(ann.id, alice.id)]

    change(node, domain_blocks.unblock, "spam.example")
    assert not fresh(node, zed).suspended  # lifted: visible again (the follows stay ended)


async def test_silenced_strangers_do_not_notify(node: Node) -> None:
    alice = user(node, "alice")
    zed = remote_user(node, "https://loud.example/users/zed")
    mine = post(node, alice, "hello")
    change(node, domain_blocks.block, "loud.example", "silence")
    with node.db.transaction() as session:
        like = "https://loud.example/likes/1"
        posts.favourite(session, node.ctx, fresh(node, zed), mine.id, uri=like)
    await node.worker.run_until_idle()
    assert notifications_of(node, alice) == []
    # Held back, as Mastodon 4.3 holds them: `for_limited_accounts` filters by default.
    assert notifications_of(node, alice, filtered=True) == [("favourite", zed.id, mine.id)]
    # Once alice follows zed, zed is no stranger: the next like is heard.
    with node.db.transaction() as session:
        session.add(
            Follow(follower_id=alice.id, target_id=zed.id, accepted=True, created_at=now(), uri="f")
        )
        posts.unfavourite(session, node.ctx, fresh(node, zed), mine.id)
        posts.favourite(session, node.ctx, fresh(node, zed), mine.id, uri=f"{like}/again")
    await node.worker.run_until_idle()
    assert notifications_of(node, alice) == [("favourite", zed.id, mine.id)]


def test_deliveries_skip_suspended_servers(node: Node) -> None:
    alice = user(node, "alice")
    for uri in ("https://spam.example/users/zed", "https://fine.example/users/ann"):
        follower = remote_user(node, uri, shared_inbox=f"https://{uri.split('/')[2]}/inbox")
        with node.db.transaction() as session:
            session.add(
                Follow(
                    follower_id=follower.id,
                    target_id=alice.id,
                    accepted=True,
                    uri=f"{uri}/f",
                    created_at=now(),
                )
            )
    change(node, domain_blocks.block, "spam.example", "suspend")
    post(node, alice, "to my followers")
    with node.db.transaction() as session:
        job = session.execute(select(Job).where(Job.kind == "federate")).scalars().one()
        delivery.federate(session, node.ctx, job.payload)
    with node.db.snapshot() as session:
        inboxes = [
            j.payload["inbox"]
            for j in session.execute(select(Job).where(Job.kind == "deliver")).scalars()
        ]
    assert inboxes == ["https://fine.example/inbox"]

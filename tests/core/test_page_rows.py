"""Pages keep rows by row version (core/reading/page_rows.py, mastodon_api/rendered.py): a change
made by any UPDATE shows at once, and nothing seen inside a write transaction is kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update

from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page, PostView
from bocage.mastodon_api import views
from bocage.node import Node
from bocage.services.reader import Reader
from bocage.store.models import Account, Post
from tests.core.helpers import favourite, follow, post, user


def row_version(node: Node, table: Any, row_id: int) -> int:
    with node.db.snapshot() as session:
        return int(session.execute(select(table.row_version).where(table.id == row_id)).scalar())


def home(node: Node, viewer: Account) -> list[PostView]:
    with node.db.snapshot() as session:
        return timelines.home(session, viewer, Page())


def rendered_home(node: Node, viewer: Account) -> list[dict[str, Any]]:
    with node.db.snapshot() as session:
        found = timelines.home(session, viewer, Page())
        return views.statuses(Reader(session), node.ctx, found, viewer, "home")


async def test_every_update_bumps_the_row_version(node: Node) -> None:
    alice = user(node, "alice")
    written = post(node, alice, "hello")
    assert row_version(node, Post, written.id) == 0
    with node.db.transaction() as session:  # SQL, as counters are updated
        session.execute(update(Post).where(Post.id == written.id).values(replies_count=3))
    with node.db.transaction() as session:  # the ORM's unit of work
        found = session.get(Post, written.id)
        assert found is not None
        found.content = "<p>edited</p>"
    with node.db.transaction() as session:  # plain SQL, as another program would
        session.execute(text("UPDATE posts SET language = 'fr' WHERE id = :id"), {"id": written.id})
    assert row_version(node, Post, written.id) == 3
    before = row_version(node, Account, alice.id)
    post(node, alice, "a second post counts in alice's row")
    assert row_version(node, Account, alice.id) > before


async def test_pages_show_changes_to_rows_they_kept(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    follow(node, bob, alice)
    first, second = post(node, alice, "one"), post(node, alice, "two")
    await node.worker.run_until_idle()
    assert [view.post.favourites_count for view in home(node, bob)] == [0, 0]
    assert [status["favourites_count"] for status in rendered_home(node, bob)] == [0, 0]

    favourite(node, bob, first.id)
    with node.db.transaction() as session:
        session.execute(
            update(Account).where(Account.id == alice.id).values(display_name="Alice L.")
        )
    page = rendered_home(node, bob)
    assert [status["id"] for status in page] == [str(second.id), str(first.id)]
    assert [status["favourites_count"] for status in page] == [0, 1]
    assert [status["favourited"] for status in page] == [False, True]
    assert {status["account"]["display_name"] for status in page} == {"Alice L."}


@pytest.mark.parametrize("rendered", [False, True])
async def test_rows_seen_in_a_rolled_back_write_are_never_kept(node: Node, rendered: bool) -> None:
    """A write transaction sees its own row versions before they commit. Had it kept what it
    saw, a rolled-back edit (version 1) would later stand for the committed one (also 1)."""
    alice = user(node, "alice")
    written = post(node, alice, "original")
    await node.worker.run_until_idle()
    read = rendered_home if rendered else home
    read(node, alice)

    def edit(content: str) -> Any:
        return update(Post).where(Post.id == written.id).values(content=content)

    with pytest.raises(RuntimeError), node.db.transaction() as session:
        session.execute(edit("<p>rolled back</p>"))
        seen = timelines.home(session, alice, Page())
        assert seen[0].post.content == "<p>rolled back</p>"
        if rendered:
            views.statuses(Reader(session), node.ctx, seen, alice, "home")
        raise RuntimeError("roll back")
    with node.db.transaction() as session:
        session.execute(edit("<p>committed</p>"))

    assert row_version(node, Post, written.id) == 1
    page = read(node, alice)
    shown = page[0]["content"] if rendered else page[0].post.content
    assert shown == "<p>committed</p>"


async def test_empty_pages_inside_a_write_transaction(node: Node) -> None:
    """A write reads full rows (nothing kept): with no rows at all, it reads nothing."""
    alice = user(node, "alice")
    with node.db.transaction() as session:
        assert timelines.home(session, alice, Page()) == []
        assert timelines.hydrate(session, alice, []) == []
        assert timelines.hydrate(session, alice, [12345, 67890]) == []  # gone, or never were

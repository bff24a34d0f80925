"""Presenters of Mastodon entities, called in process."""

from __future__ import annotations

import pytest

from bocage.kernel.errors import NotFound
from bocage.mastodon_api import views
from bocage.node import Node
from bocage.services.reader import Reader


async def test_a_post_gone_before_it_is_shown_is_a_404_not_a_crash(node: Node) -> None:
    """A reblog answers with the post it boosted; deleted at that moment, nothing is left to
    show (seen as a 500 IndexError under the outside-input walk on PostgreSQL)."""
    present = views.one_of(node.ctx, None)
    with node.db.transaction() as session, pytest.raises(NotFound):
        present(Reader(session), [])

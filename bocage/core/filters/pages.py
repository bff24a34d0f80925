"""A page of posts as a viewer's filters leave it.

A post that a `hide` filter matches in the context of the page is left out of it here (the v1
API's "irreversible" filters were dropped by the server), except the viewer's own posts and a
single post asked for by id (`keep_hidden`). A viewer without filters costs a dictionary
lookup (`process_cache.active`), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bocage.core.filters.matching import Match, hides, matches_of
from bocage.core.filters.process_cache import active
from bocage.core.timelines.timelines import PostView
from bocage.kernel.clock import now


@dataclass(frozen=True)
class Filtered:
    """A page as filters leave it: the posts still shown, and the matches of each of them
    that any filter matches, by post id (a boost's matches are its original's too)."""

    views: list[PostView]
    matches: dict[int, list[Match]]


def apply(
    session: Session,
    viewer_id: int | None,
    views: list[PostView],
    context: str,
    *,
    keep_hidden: bool = False,
) -> Filtered:
    """Filter a page of posts for `viewer_id` in `context` (see the module's docstring):
    a dictionary lookup, and nothing else, for a viewer without filters."""
    if viewer_id is None or not views:
        return Filtered(views, {})
    rules = active(session, viewer_id)
    if not rules.rules:
        return Filtered(views, {})
    moment = now()
    kept: list[PostView] = []
    matches: dict[int, list[Match]] = {}
    for view in views:
        found = matches_of(rules, view, moment)
        if found and not keep_hidden and hides(found, context) and not _own_post(view, viewer_id):
            continue
        kept.append(view)
        if found:
            matches[view.post.id] = found
    return Filtered(kept, matches)


def _own_post(view: PostView, viewer_id: int) -> bool:
    """The viewer's own posts and boosts stay in their pages (as Mastodon's feeds did)."""
    return viewer_id in (view.post.account_id, view.shown.post.account_id)

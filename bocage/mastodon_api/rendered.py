"""Status entities already built, kept per process: timelines show the same posts again and
again (every reader of a busy account, every refresh), and building a Status was half the
cost of a home page.

An entry is used only while what it was built from is unchanged: its key holds the row
versions of the post and its author, and of a boosted original and its author. Every
UPDATE of a row bumps its version (migration 0016): content, counts, pin, edit. What a
viewer adds (favourited, reblogged, bookmarked, muted, filtered) is never cached: `reuse`
puts the viewer's own flags on a copy. Tags and mentions change only with an edit;
an upload never changes once attached (core/media.update), and a remote file cached or
evicted moves its post's version on (core/media/remote.shown_anew). Polls change with every vote,
outside the post's row: statuses with a poll are not cached."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bocage.core.timelines.timelines import PostView

MAX_ENTRIES = 4096  # ~2.5 KB each: ~10 MB at most


class RenderedStatuses:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()

    def get(self, view: PostView) -> dict[str, Any] | None:
        """The viewer-independent entity built for this exact version of the post, if any."""
        found = self._entries.get(view.post.id)
        if found is None or found[0] != _key(view):
            return None
        self._entries.move_to_end(view.post.id)
        return found[1]

    def put(self, view: PostView, entity: dict[str, Any]) -> None:
        if not cacheable(view):
            return
        self._entries[view.post.id] = (_key(view), entity)
        self._entries.move_to_end(view.post.id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def cacheable(view: PostView) -> bool:
    return view.post.poll_id is None and (view.reblog is None or cacheable(view.reblog))


def reuse(entity: dict[str, Any], view: PostView) -> dict[str, Any]:
    """A copy of a cached entity with this viewer's own flags."""
    copied = {
        **entity,
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "bookmarked": view.bookmarked,
        "muted": view.muted,
        "filtered": [],
    }
    if view.reblog is not None and entity["reblog"] is not None:
        copied["reblog"] = reuse(entity["reblog"], view.reblog)
    return copied


def _key(view: PostView) -> tuple[Any, ...]:
    return (
        view.post.row_version,
        view.author.id,
        view.author.row_version,
        _key(view.reblog) if view.reblog is not None else None,
    )

"""The rows a page of posts is built from: each post, its author and the viewer's own flags.

A page first reads stamps: each post's id and row version, its author's id and row version,
and the viewer's four flags. Full rows are fetched only for the versions this process has
not kept (`RowCache`). A busy timeline shows mostly posts it showed before, and turning
~40 columns × 40 rows into Python values was most of the SQL part of a home page.

Row versions are bumped by a trigger on every UPDATE (migration 0016), whoever runs it.
Rows are kept per database, by read units only (`store.db.committed_cache`): a version seen
inside a write transaction, which may still roll back, is never kept. A write transaction
reads full rows.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Select, bindparam, exists, func, select
from sqlalchemy.orm import Session

from bocage.store.db import committed_cache
from bocage.store.models import Account, Bookmark, Favourite, Post, ThreadMute
from bocage.store.prepared import Prepared

POSTS = Post.__table__
ACCOUNTS = Account.__table__
# What a page may show of an account: never its keys.
SECRET = {"identity_seed", "rsa_private_pem", "rsa_public_pem"}
# Nor what no page shows (each column of each row is a value to fetch and convert).
UNSHOWN = {"note_source", "log_seq", "log_head", "also_known_as", "gateways"}
PUBLIC_ACCOUNT = [column for column in ACCOUNTS.c if column.name not in SECRET | UNSHOWN]
IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
VIEWER: BindParameter[int] = bindparam("viewer")
NOBODY = 0  # the viewer of an anonymous page: no account has this id, so no flag is set
BOOSTS = POSTS.alias("boost")
FLAGS = (
    exists()
    .where(Favourite.account_id == VIEWER, Favourite.post_id == POSTS.c.id)
    .label("favourited"),
    exists()
    .where(BOOSTS.c.account_id == VIEWER, BOOSTS.c.reblog_of_id == POSTS.c.id)
    .label("reblogged"),
    exists()
    .where(Bookmark.account_id == VIEWER, Bookmark.post_id == POSTS.c.id)
    .label("bookmarked"),
    # The viewer muted the post's thread (known by its root, see `timelines.thread_of`).
    exists()
    .where(
        ThreadMute.account_id == VIEWER,
        ThreadMute.thread_id == func.coalesce(POSTS.c.thread_root_id, POSTS.c.id),
    )
    .label("muted"),
)
WITH_AUTHOR = POSTS.join(ACCOUNTS, ACCOUNTS.c.id == POSTS.c.account_id)
# Stamps: what tells whether kept rows are still current, and the viewer's flags.
STAMPS = select(
    POSTS.c.id, POSTS.c.row_version, POSTS.c.account_id, ACCOUNTS.c.row_version, *FLAGS
).select_from(WITH_AUTHOR)
STAMPS_BY_IDS = Prepared(STAMPS.where(POSTS.c.id.in_(IDS)))
# Full rows, for what is not kept.
ROWS_BY_IDS = Prepared(
    select(*POSTS.c, *PUBLIC_ACCOUNT).select_from(WITH_AUTHOR).where(POSTS.c.id.in_(IDS))
)
# One post (a status opened, favourited, just written…), rows and flags in one query: a
# single row costs little to convert, and a post just written is never kept yet.
ONE_ROW = Prepared(
    select(*POSTS.c, *PUBLIC_ACCOUNT, *FLAGS)
    .select_from(WITH_AUTHOR)
    .where(POSTS.c.id == bindparam("post"))
)
# A page row, read-only, with the attribute names of models.Post / models.Account. Their
# fields are the tables' columns, known at import time only (rows are typed `Any` below).
PostRow = namedtuple("PostRow", [column.key for column in POSTS.c])  # type: ignore[misc]  # fields from the table's columns
AuthorRow = namedtuple("AuthorRow", [column.key for column in PUBLIC_ACCOUNT])  # type: ignore[misc]  # fields from the table's columns
_AUTHOR_AT = len(PostRow._fields)
_FLAGS_AT = _AUTHOR_AT + len(AuthorRow._fields)


def feed_stamps(feed_slice: Select[int]) -> Prepared:
    """The stamps of a feed's page (`feed_slice`: its post ids), in one prepared query."""
    return Prepared(STAMPS.where(POSTS.c.id.in_(feed_slice)))


class PageRow(NamedTuple):
    """A post, its author and the viewer's flags. (A named tuple: a page makes forty of
    these, and a frozen dataclass took three times as long to build.)"""

    post: Any  # PostRow
    author: Any  # AuthorRow
    favourited: bool
    reblogged: bool
    bookmarked: bool
    muted: bool


class RowCache:
    """Rows by id, each with the row version it was read at; the oldest kept go first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._rows: dict[int, tuple[int, Any]] = {}
        self._lock = threading.Lock()  # PostgreSQL pages are read on several threads

    def get(self, row_id: int, version: int) -> Any | None:
        found = self._rows.get(row_id)
        return found[1] if found is not None and found[0] == version else None

    def put(self, row: Any) -> None:
        with self._lock:
            self._rows.pop(row.id, None)
            self._rows[row.id] = (row.row_version, row)
            if len(self._rows) > self.max_entries:
                del self._rows[next(iter(self._rows))]


class KeptRows:
    """A database's kept rows: ~2 KB a post row, ~1 KB an author row, ~20 MB at most."""

    def __init__(self) -> None:
        self.posts = RowCache(8192)
        self.authors = RowCache(4096)


def by_ids(session: Session, viewer_id: int | None, ids: Sequence[int]) -> dict[int, PageRow]:
    """The page rows of `ids` (those that exist) as `viewer_id` (None: nobody) sees them."""
    viewer = viewer_id if viewer_id is not None else NOBODY
    if not ids:
        return {}
    if len(ids) == 1:
        rows = ONE_ROW.rows(session, {"post": ids[0], "viewer": viewer})
        return {row.post.id: row for row in map(_split, rows)}
    return of_stamps(session, STAMPS_BY_IDS.rows(session, {"ids": list(ids), "viewer": viewer}))


def of_stamps(session: Session, stamps: Iterable[Sequence[Any]]) -> dict[int, PageRow]:
    """Page rows for stamps (rows of STAMPS), from kept rows where their versions match."""
    kept = committed_cache(session, "page_rows", KeptRows)
    if kept is None:
        return _fetch(session, {stamp[0]: stamp for stamp in stamps}, None)
    found: dict[int, PageRow] = {}
    missing: dict[int, Sequence[Any]] = {}
    for stamp in stamps:
        post_id, post_version, author_id, author_version = stamp[:4]
        post = kept.posts.get(post_id, post_version)
        author = kept.authors.get(author_id, author_version)
        if post is None or author is None:
            missing[post_id] = stamp
        else:
            found[post_id] = _with_flags(post, author, stamp[4:])
    if missing:
        found.update(_fetch(session, missing, kept))
    return found


def _fetch(
    session: Session, stamps: dict[int, Sequence[Any]], kept: KeptRows | None
) -> dict[int, PageRow]:
    found: dict[int, PageRow] = {}
    if not stamps:
        return found
    for values in ROWS_BY_IDS.rows(session, {"ids": list(stamps)}):
        post: Any = PostRow._make(values[:_AUTHOR_AT])
        author: Any = AuthorRow._make(values[_AUTHOR_AT:])
        if kept is not None:
            kept.posts.put(post)
            kept.authors.put(author)
        found[post.id] = _with_flags(post, author, stamps[post.id][4:])
    return found


def _with_flags(post: Any, author: Any, flags: Sequence[Any]) -> PageRow:
    favourited, reblogged, bookmarked, muted = flags
    return PageRow(post, author, bool(favourited), bool(reblogged), bool(bookmarked), bool(muted))


def _split(values: Sequence[Any]) -> PageRow:
    """A flat row of ONE_ROW: post, author, flags."""
    return _with_flags(
        PostRow._make(values[:_AUTHOR_AT]),
        AuthorRow._make(values[_AUTHOR_AT:_FLAGS_AT]),
        values[_FLAGS_AT:],
    )

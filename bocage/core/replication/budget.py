"""Storage budgets for replicated content (docs/protocol.md §5, "Budgets"): a rule of what a
node holds, run by the replication service after each sync.

Other authors' content held here is capped per author (`replica_bytes_per_author`) and in
all (`replica_bytes_total`). Beyond a budget the oldest remote content is evicted: the
`activity` of its `log_entries` rows becomes NULL. The entry itself, its hash and its
signature stay, so the chain stays verifiable and the log keeps its seqs; only the copy
that could be re-served goes. The posts table is not touched: people keep their timelines.

What counts: the `activity` text of entries whose author is remote (`accounts.domain IS
NOT NULL`), measured in bytes of UTF-8, and the media of the posts those entries create: the
cached files (`media_files` rows with a `remote_url` and a `storage_key`) attached to the
post whose id is the object of a `Create` entry. Evicting such an entry forgets its post's
cached files too (their rows stay, without a key: fetched again, from the origin or a peer,
when next shown); the keys freed are returned for the caller to remove once no row uses
them. Content authored here is never counted nor evicted, and neither are Delete
activities: they are small, and they must keep propagating so that what was deleted never
comes back (they do count towards the budgets, being held here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import BigInteger

from bocage.store.models import Account, GatewayConsent, LogEntry, MediaFile, Post
from bocage.store.sql import update_rows

BATCH = 500  # entries read (and evicted) per statement: bounded memory on large tables


@dataclass(frozen=True)
class Eviction:
    """What one `enforce` evicted."""

    entries: int = 0
    bytes: int = 0
    authors: int = 0  # distinct authors with at least one entry evicted
    files: tuple[str, ...] = ()  # storage keys of cached media forgotten (rows may share one)


class Utf8Bytes(FunctionElement[int]):
    """The size of a text column in bytes of UTF-8.

    Not `length()`: it counts characters on both databases, and on PostgreSQL it has to
    detoast (read back) every activity to count them, which would read the whole replica
    at each sync. `octet_length()` reads the size from the value's header instead.
    """

    type = BigInteger()
    inherit_cache = True


@compiles(Utf8Bytes)
def _utf8_bytes_default(element: Utf8Bytes, compiler: Any, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(Utf8Bytes, "sqlite")
def _utf8_bytes_sqlite(element: Utf8Bytes, compiler: Any, **kw: Any) -> str:
    # SQLite has octet_length() only from 3.43; a text cast to a blob is its UTF-8 bytes.
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


@dataclass
class _Tally:
    entries: int = 0
    bytes: int = 0
    authors: set[int] = field(default_factory=set)
    files: set[str] = field(default_factory=set)

    def result(self) -> Eviction:
        return Eviction(self.entries, self.bytes, len(self.authors), tuple(sorted(self.files)))


def enforce(session: Session, per_author: int, total: int) -> Eviction:
    """Evict the oldest remote content beyond the budgets (in bytes); 0 means unlimited.

    First each remote author over `per_author` loses their oldest entries (lowest seq
    first) until back within it. Then, if all remote content together is still over
    `total`, the globally oldest entries go (by `created_at`, the time the entry was
    stored here, then seq) until within it. Entries are evicted whole, so an author or the
    node may end up a little below a budget. Running it again evicts nothing.

    Rows are updated with `synchronize_session=False`: `LogEntry` objects already loaded in
    `session` keep their old `activity`.
    """
    # 0 = unlimited: the settings allow 0 (`ge=0`), and "keep no remote content at all"
    # would make replication pointless, so 0 switches a budget off.
    if per_author <= 0 and total <= 0:
        return Eviction()
    held = _held_by_author(session)
    tally = _Tally()
    if per_author > 0:
        for account_id, size in held.items():
            if size > per_author:
                oldest = _evictable().where(LogEntry.account_id == account_id)
                _evict(session, tally, oldest.order_by(LogEntry.seq), size - per_author)
    # The remote total is what the first pass left: no second scan of the table.
    remaining = sum(held.values()) - tally.bytes
    if total > 0 and remaining > total:
        oldest = _evictable().order_by(LogEntry.created_at, LogEntry.seq, LogEntry.account_id)
        _evict(session, tally, oldest, remaining - total)
    return tally.result()


def _held_by_author(session: Session) -> dict[int, int]:
    """{remote author: bytes of their content held here}, Delete activities included, and the
    cached media of the posts their entries create. NULL activities (purged or evicted) and
    files not cached add nothing to the sums."""
    rows = session.execute(
        select(LogEntry.account_id, func.sum(Utf8Bytes(LogEntry.activity)))
        .join(Account, Account.id == LogEntry.account_id)
        .where(Account.domain.is_not(None), LogEntry.activity.is_not(None), _not_kept_for())
        .group_by(LogEntry.account_id)
    )
    held = {account_id: int(size or 0) for account_id, size in rows}
    media = _media_of_posts()
    files = session.execute(
        select(LogEntry.account_id, func.sum(media.c.size))
        .join(media, _creates(media))
        .join(Account, Account.id == LogEntry.account_id)
        .where(Account.domain.is_not(None), _not_kept_for())
        .group_by(LogEntry.account_id)
    )
    for account_id, size in files:
        held[account_id] = held.get(account_id, 0) + int(size or 0)
    return held


def _media_of_posts() -> Any:
    """(post uri, bytes) of the cached remote files each post shows."""
    return (
        select(Post.uri.label("uri"), func.sum(MediaFile.size).label("size"))
        .join(MediaFile, MediaFile.post_id == Post.id)
        .where(MediaFile.remote_url.is_not(None), MediaFile.storage_key.is_not(None))
        .group_by(Post.uri)
        .subquery()
    )


def _creates(media: Any) -> Any:
    """An entry is joined to the media of the post it creates (a post's files are counted
    once: with its Create, not with each Update of it)."""
    return and_(media.c.uri == LogEntry.object_id, LogEntry.activity_type == "Create")


def _evictable() -> Select[int, int, int]:
    """(author, seq, bytes) of the entries that may be evicted: remote, still holding
    content or a post's cached files, not a Delete. Evicted rows drop out of it, so
    re-running it walks on."""
    media = _media_of_posts()
    size = func.coalesce(Utf8Bytes(LogEntry.activity), 0) + func.coalesce(media.c.size, 0)
    return (
        select(LogEntry.account_id, LogEntry.seq, size)
        .join(Account, Account.id == LogEntry.account_id)
        .outerjoin(media, _creates(media))
        .where(
            Account.domain.is_not(None),
            or_(LogEntry.activity.is_not(None), media.c.size.is_not(None)),
            LogEntry.activity_type != "Delete",
            _not_kept_for(),
        )
    )


def _not_kept_for() -> Any:
    """Accounts that registered this node as their pub are kept whole: that is the promise
    a pub makes (docs/protocol.md, "Pubs"), and their content is not counted."""
    return ~exists().where(GatewayConsent.account_id == LogEntry.account_id)


def _evict(session: Session, tally: _Tally, oldest: Select[int, int, int], excess: int) -> None:
    """Evict entries in the order of `oldest`, a batch at a time, until `excess` bytes are
    freed or nothing evictable is left."""
    freed = 0
    while freed < excess:
        rows = session.execute(oldest.limit(BATCH)).all()
        chosen: list[tuple[int, int]] = []
        for account_id, seq, size in rows:
            if freed >= excess:
                break
            chosen.append((account_id, seq))
            freed += size
            tally.bytes += size
            tally.authors.add(account_id)
        if not chosen:
            return  # only Deletes (or nothing) left: the rest cannot be evicted
        _drop_content(session, chosen, tally)
        tally.entries += len(chosen)


def _drop_content(session: Session, keys: list[tuple[int, int]], tally: _Tally) -> None:
    """Null the activity of these (author, seq) entries, the entries themselves staying, and
    forget the cached files of the posts they create."""
    chosen = tuple_(LogEntry.account_id, LogEntry.seq).in_(keys)
    session.execute(update_rows(LogEntry).where(chosen).values(activity=None))
    created = select(LogEntry.object_id).where(chosen, LogEntry.activity_type == "Create")
    posts = select(Post.id).where(Post.uri.in_(created))
    files = session.execute(
        select(MediaFile.id, MediaFile.storage_key, MediaFile.preview_key, MediaFile.post_id).where(
            MediaFile.post_id.in_(posts),
            MediaFile.remote_url.is_not(None),
            MediaFile.storage_key.is_not(None),
        )
    ).all()
    if not files:
        return
    tally.files.update(key for _, *keys, _ in files for key in keys if key)
    session.execute(
        update_rows(MediaFile)
        .where(MediaFile.id.in_([row[0] for row in files]))
        .values(storage_key=None, preview_key=None, cached_at=None)
    )
    # Their posts' versions move on: no Status built with the files is served again.
    shown = {row[3] for row in files}
    session.execute(
        update_rows(Post).where(Post.id.in_(shown)).values(row_version=Post.row_version + 1)
    )

"""Filters, read and changed: what a person asks not to see (Mastodon's v2 filters).

A filter has a title, the contexts it applies in (home, notifications, public, thread,
account), an action (`warn`: shown behind a warning naming the filter; `blur`: its media
blurred; `hide`: left out), an optional expiry, keywords and posts. Every change tells this
process's cache of compiled filters (`process_cache.changed`). The v1 API's view of them is
`v1.py`; how they match posts, `matching.py`; a page as they leave it, `pages.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bocage.core.filters import process_cache
from bocage.core.posts import posts
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Filter, FilterKeyword, FilterStatus

CONTEXTS = ("home", "notifications", "public", "thread", "account")


ACTIONS = ("warn", "hide", "blur")


NOT_FOUND = "Record not found"


MAX_EXPIRES_IN = 100 * 365 * 24 * 3600  # seconds; a filter may not outlive its dates


INVALID_CONTEXT = "Context None or invalid context supplied"


MULTIPLE_KEYWORDS = (
    "These parameters cannot be changed from this application because they apply to more "
    "than one filter keyword. Use a more recent application or the web interface."
)


class Unset(Enum):
    """A parameter that was not given (as opposed to one given as null)."""

    UNSET = 0


UNSET = Unset.UNSET


@dataclass(frozen=True)
class KeywordChange:
    """One entry of `keywords_attributes`: a new keyword (no id), or a change to one."""

    id: int | None = None
    keyword: str | None = None  # None: unchanged
    whole_word: bool | None = None  # None: unchanged (true for a new keyword, as Mastodon)
    destroy: bool = False


@dataclass(frozen=True)
class FilterChange:
    """What a create or an update sets; None (UNSET for `expires_in`) leaves it as it is."""

    title: str | None = None
    context: Sequence[str] | None = None
    action: str | None = None
    expires_in: int | Unset | None = UNSET  # seconds from now; None: never expires
    keywords: Sequence[KeywordChange] = ()


@dataclass
class FilterView:
    """A filter with its keywords and posts, oldest first."""

    filter: Filter
    keywords: list[FilterKeyword] = field(default_factory=list)
    statuses: list[FilterStatus] = field(default_factory=list)


def all_of(session: Session, account_id: int) -> list[FilterView]:
    found = session.execute(
        select(Filter).where(Filter.account_id == account_id).order_by(Filter.id)
    )
    return _with_rules(session, list(found.scalars()))


def one(session: Session, account_id: int, filter_id: int) -> FilterView:
    return _with_rules(session, [_own(session, account_id, filter_id)])[0]


def create(session: Session, account_id: int, change: FilterChange) -> FilterView:
    """A new filter; its title and context are required, its action defaults to `warn`."""
    for entry in change.keywords:
        if entry.id is not None:
            raise NotFound(NOT_FOUND)  # Mastodon looks for it among the new filter's keywords
    row = Filter(
        id=new_id(),
        account_id=account_id,
        title=change.title or "",
        context=[],
        action=change.action or "warn",
        expires_at=None,
        created_at=now(),
    )
    apply_change(row, change)
    errors = errors_of(row)
    keywords = [_new_keyword(row.id, entry) for entry in change.keywords if _wanted(entry)]
    errors += _keyword_errors(keywords, nested=True)
    refuse(errors)
    session.add(row)
    session.flush()  # the filter's row before its keywords' (foreign key)
    session.add_all(keywords)
    process_cache.changed(session, account_id)
    return FilterView(row, keywords, [])


def update(session: Session, account_id: int, filter_id: int, change: FilterChange) -> FilterView:
    """Change what is given; `keywords` adds, changes (by id) or removes (`destroy`)."""
    row = _own(session, account_id, filter_id)
    current = {kw.id: kw for kw in keywords_of(session, [row.id])}
    added: list[FilterKeyword] = []
    removed: list[FilterKeyword] = []
    for entry in change.keywords:
        if entry.id is None:
            if _wanted(entry):
                added.append(_new_keyword(row.id, entry))
            continue
        keyword = current.get(entry.id)
        if keyword is None:
            raise NotFound(NOT_FOUND)
        if entry.destroy:
            removed.append(keyword)
            continue
        if entry.keyword is not None:
            keyword.keyword = entry.keyword
        if entry.whole_word is not None:
            keyword.whole_word = entry.whole_word
    apply_change(row, change)
    kept = [kw for kw in current.values() if kw not in removed]
    refuse(errors_of(row) + _keyword_errors(kept + added, nested=True))
    for keyword in removed:
        session.delete(keyword)
    session.add_all(added)
    process_cache.changed(session, account_id)
    session.flush()
    return one(session, account_id, filter_id)


def delete_filter(session: Session, account_id: int, filter_id: int) -> None:
    row = _own(session, account_id, filter_id)
    session.execute(delete(Filter).where(Filter.id == row.id))
    process_cache.changed(session, account_id)


def keywords(session: Session, account_id: int, filter_id: int) -> list[FilterKeyword]:
    return keywords_of(session, [_own(session, account_id, filter_id).id])


def add_keyword(
    session: Session, account_id: int, filter_id: int, keyword: str, whole_word: bool | None
) -> FilterKeyword:
    row = _own(session, account_id, filter_id)
    added = _new_keyword(row.id, KeywordChange(keyword=keyword, whole_word=whole_word))
    refuse(_keyword_errors([added], nested=False))
    session.add(added)
    process_cache.changed(session, account_id)
    return added


def keyword(session: Session, account_id: int, keyword_id: int) -> FilterKeyword:
    return own_keyword(session, account_id, keyword_id)[0]


def update_keyword(
    session: Session,
    account_id: int,
    keyword_id: int,
    keyword: str | None,
    whole_word: bool | None,
) -> FilterKeyword:
    found, _filter = own_keyword(session, account_id, keyword_id)
    if keyword is not None:
        found.keyword = keyword
    if whole_word is not None:
        found.whole_word = whole_word
    refuse(_keyword_errors([found], nested=False))
    process_cache.changed(session, account_id)
    return found


def delete_keyword(session: Session, account_id: int, keyword_id: int) -> None:
    found, _filter = own_keyword(session, account_id, keyword_id)
    session.delete(found)
    process_cache.changed(session, account_id)


def statuses(session: Session, account_id: int, filter_id: int) -> list[FilterStatus]:
    return _statuses_of(session, [_own(session, account_id, filter_id).id])


def add_status(
    session: Session, account_id: int, filter_id: int, post_id: int | None
) -> FilterStatus:
    """Filter a post the person may see (and the boosts of it) by its id."""
    row = _own(session, account_id, filter_id)
    try:
        post = posts.get_visible(session, account_id, post_id or 0)
    except NotFound:
        # Whether it exists or is hidden from them: the same answer, telling nothing.
        raise InvalidInput("Validation failed: Status must exist") from None
    taken = session.execute(
        select(FilterStatus.id).where(
            FilterStatus.filter_id == row.id, FilterStatus.post_id == post.id
        )
    ).first()
    if taken is not None:
        raise InvalidInput("Validation failed: Status has already been taken")
    added = FilterStatus(id=new_id(), filter_id=row.id, post_id=post.id)
    session.add(added)
    process_cache.changed(session, account_id)
    return added


def status(session: Session, account_id: int, status_filter_id: int) -> FilterStatus:
    found = session.execute(
        select(FilterStatus)
        .join(Filter, Filter.id == FilterStatus.filter_id)
        .where(FilterStatus.id == status_filter_id, Filter.account_id == account_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def delete_status(session: Session, account_id: int, status_filter_id: int) -> None:
    session.delete(status(session, account_id, status_filter_id))
    process_cache.changed(session, account_id)


def _own(session: Session, account_id: int, filter_id: int) -> Filter:
    row = session.get(Filter, filter_id)
    if row is None or row.account_id != account_id:
        raise NotFound(NOT_FOUND)  # someone else's is as absent as a missing one
    return row


def own_keyword(session: Session, account_id: int, keyword_id: int) -> tuple[FilterKeyword, Filter]:
    found = session.execute(
        select(FilterKeyword, Filter)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(FilterKeyword.id == keyword_id, Filter.account_id == account_id)
    ).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found[0], found[1]


def keywords_of(session: Session, filter_ids: list[int]) -> list[FilterKeyword]:
    rows = session.execute(
        select(FilterKeyword)
        .where(FilterKeyword.filter_id.in_(filter_ids))
        .order_by(FilterKeyword.id)
    )
    return list(rows.scalars())


def _statuses_of(session: Session, filter_ids: list[int]) -> list[FilterStatus]:
    rows = session.execute(
        select(FilterStatus).where(FilterStatus.filter_id.in_(filter_ids)).order_by(FilterStatus.id)
    )
    return list(rows.scalars())


def _with_rules(session: Session, rows: list[Filter]) -> list[FilterView]:
    views = {row.id: FilterView(row) for row in rows}
    if views:
        for kw in keywords_of(session, list(views)):
            views[kw.filter_id].keywords.append(kw)
        for st in _statuses_of(session, list(views)):
            views[st.filter_id].statuses.append(st)
    return list(views.values())


def apply_change(row: Filter, change: FilterChange) -> None:
    if change.title is not None:
        row.title = change.title
    if change.context is not None:
        row.context = clean_context(change.context)
    if change.action is not None:
        row.action = change.action
    if change.expires_in is not UNSET:
        if change.expires_in is not None and abs(change.expires_in) > MAX_EXPIRES_IN:
            raise InvalidInput("Validation failed: Expires in must be at most 100 years")
        row.expires_at = (
            None if change.expires_in is None else now() + timedelta(seconds=change.expires_in)
        )


def clean_context(given: Iterable[str]) -> list[str]:
    """Blank entries dropped, surrounding spaces trimmed, each context once."""
    return list(dict.fromkeys(c.strip() for c in given if c.strip()))


def errors_of(row: Filter) -> list[str]:
    """Mastodon's validation messages, in its order."""
    errors = []
    if not row.title.strip():
        errors.append("Title can't be blank")
    if not row.context:
        errors.append("Context can't be blank")
    if not row.context or any(c not in CONTEXTS for c in row.context):
        errors.append(INVALID_CONTEXT)
    if row.action not in ACTIONS:
        errors.append("Filter action is not included in the list")
    return errors


def _wanted(entry: KeywordChange) -> bool:
    """Mastodon skips new entries that are all blank, or marked for removal."""
    blank = not (entry.keyword or "").strip() and entry.whole_word is None
    return not entry.destroy and not blank


def _new_keyword(filter_id: int, entry: KeywordChange) -> FilterKeyword:
    return FilterKeyword(
        id=new_id(),
        filter_id=filter_id,
        keyword=entry.keyword or "",
        whole_word=True if entry.whole_word is None else entry.whole_word,
    )


def _keyword_errors(keywords: Iterable[FilterKeyword], *, nested: bool) -> list[str]:
    if all(kw.keyword.strip() for kw in keywords):
        return []
    return ["Keywords keyword can't be blank" if nested else "Keyword can't be blank"]


def refuse(errors: list[str]) -> None:
    if errors:
        raise InvalidInput("Validation failed: " + ", ".join(errors))

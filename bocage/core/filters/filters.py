"""Filters: what a person asks not to see, and the matching that applies them.

A filter (Mastodon's v2 filter) has a title, the contexts it applies in (home, notifications,
public, thread, account), an action (`warn`: shown behind a warning naming the filter;
`blur`: its media blurred; `hide`: left out), an optional expiry, keywords and posts. A post
matches when a keyword occurs in its text (spoiler, body, media descriptions; case-insensitive;
a `whole_word` keyword only between word boundaries) or when it, or the post it boosts, is one
of the filter's posts. The v1 API sees each keyword as a filter of its own.

Matching follows Mastodon (app/models/custom_filter.rb): every active filter is tried,
whatever the context, and the results name the filter with its contexts, so that a client
may decide per column. Beyond that, a post that a `hide` filter matches in the context of the
page is left out of it here (the v1 API's "irreversible" filters were dropped by the server),
except the viewer's own posts and a single post asked for by id.

Reading a page must cost nothing to people without filters, so each process keeps every
viewer's compiled filters (`active`): a dictionary lookup per page. A change made here clears
the entry when its transaction commits; other processes see it after `TTL` seconds at most
(calling `forget` when they are told of `filters.changed` makes them exact).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, event, or_, select
from sqlalchemy.orm import Session

from bocage.core.content.text import plain
from bocage.core.posts import posts
from bocage.core.timelines.timelines import PostView
from bocage.kernel import events
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


# --- reading and changing filters ------------------------------------------------------


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
    _apply(row, change)
    errors = _errors(row)
    keywords = [_new_keyword(row.id, entry) for entry in change.keywords if _wanted(entry)]
    errors += _keyword_errors(keywords, nested=True)
    _refuse(errors)
    session.add(row)
    session.flush()  # the filter's row before its keywords' (foreign key)
    session.add_all(keywords)
    _changed(session, account_id)
    return FilterView(row, keywords, [])


def update(session: Session, account_id: int, filter_id: int, change: FilterChange) -> FilterView:
    """Change what is given; `keywords` adds, changes (by id) or removes (`destroy`)."""
    row = _own(session, account_id, filter_id)
    current = {kw.id: kw for kw in _keywords_of(session, [row.id])}
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
    _apply(row, change)
    kept = [kw for kw in current.values() if kw not in removed]
    _refuse(_errors(row) + _keyword_errors(kept + added, nested=True))
    for keyword in removed:
        session.delete(keyword)
    session.add_all(added)
    _changed(session, account_id)
    session.flush()
    return one(session, account_id, filter_id)


def delete_filter(session: Session, account_id: int, filter_id: int) -> None:
    row = _own(session, account_id, filter_id)
    session.execute(delete(Filter).where(Filter.id == row.id))
    _changed(session, account_id)


def keywords(session: Session, account_id: int, filter_id: int) -> list[FilterKeyword]:
    return _keywords_of(session, [_own(session, account_id, filter_id).id])


def add_keyword(
    session: Session, account_id: int, filter_id: int, keyword: str, whole_word: bool | None
) -> FilterKeyword:
    row = _own(session, account_id, filter_id)
    added = _new_keyword(row.id, KeywordChange(keyword=keyword, whole_word=whole_word))
    _refuse(_keyword_errors([added], nested=False))
    session.add(added)
    _changed(session, account_id)
    return added


def keyword(session: Session, account_id: int, keyword_id: int) -> FilterKeyword:
    return _own_keyword(session, account_id, keyword_id)[0]


def update_keyword(
    session: Session,
    account_id: int,
    keyword_id: int,
    keyword: str | None,
    whole_word: bool | None,
) -> FilterKeyword:
    found, _filter = _own_keyword(session, account_id, keyword_id)
    if keyword is not None:
        found.keyword = keyword
    if whole_word is not None:
        found.whole_word = whole_word
    _refuse(_keyword_errors([found], nested=False))
    _changed(session, account_id)
    return found


def delete_keyword(session: Session, account_id: int, keyword_id: int) -> None:
    found, _filter = _own_keyword(session, account_id, keyword_id)
    session.delete(found)
    _changed(session, account_id)


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
    _changed(session, account_id)
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
    _changed(session, account_id)


# --- the v1 API: one keyword of a filter is one "filter" -------------------------------


def v1_all(session: Session, account_id: int) -> list[tuple[FilterKeyword, Filter]]:
    rows = session.execute(
        select(FilterKeyword, Filter)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(Filter.account_id == account_id)
        .order_by(FilterKeyword.id)
    )
    return [(kw, row) for kw, row in rows.all()]


def v1_one(session: Session, account_id: int, keyword_id: int) -> tuple[FilterKeyword, Filter]:
    return _own_keyword(session, account_id, keyword_id)


def v1_create(
    session: Session,
    account_id: int,
    *,
    phrase: str,
    context: Sequence[str] | None,
    irreversible: bool,
    whole_word: bool | None,
    expires_in: int | None,
) -> tuple[FilterKeyword, Filter]:
    """A filter titled `phrase` with that one keyword (`irreversible`: action `hide`)."""
    if not phrase.strip():
        raise InvalidInput("Validation failed: Phrase can't be blank")
    created = create(
        session,
        account_id,
        FilterChange(
            title=phrase,
            context=context if context is not None else [],
            action="hide" if irreversible else "warn",
            expires_in=expires_in,
            keywords=[KeywordChange(keyword=phrase, whole_word=whole_word)],
        ),
    )
    return created.keywords[0], created.filter


def v1_update(
    session: Session,
    account_id: int,
    keyword_id: int,
    *,
    phrase: str | None,
    context: Sequence[str] | None,
    irreversible: bool | None,
    whole_word: bool | None,
    expires_in: int | Unset | None,
) -> tuple[FilterKeyword, Filter]:
    """Change the keyword, and its filter when that filter has no other keyword: a v1
    client cannot see the others, so it may not change what applies to them too."""
    found, row = _own_keyword(session, account_id, keyword_id)
    if phrase is not None and not phrase.strip():
        raise InvalidInput("Validation failed: Phrase can't be blank")
    action = None if irreversible is None else ("hide" if irreversible else "warn")
    changes_filter = (
        (context is not None and _context(context) != list(row.context))
        or (action is not None and action != row.action)
        or expires_in is not UNSET
    )
    alone = len(_keywords_of(session, [row.id])) == 1
    if changes_filter and not alone:
        raise InvalidInput(MULTIPLE_KEYWORDS)
    if phrase is not None:
        found.keyword = phrase
    if whole_word is not None:
        found.whole_word = whole_word
    # The title follows the phrase only where the two are one (a filter made by v1).
    title = phrase if alone else None
    _apply(row, FilterChange(title=title, context=context, action=action, expires_in=expires_in))
    _refuse(_errors(row))
    _changed(session, account_id)
    return found, row


def v1_delete(session: Session, account_id: int, keyword_id: int) -> None:
    """Only the keyword goes (as on Mastodon): its filter stays, for the v2 API."""
    delete_keyword(session, account_id, keyword_id)


# --- helpers for the above ---------------------------------------------------------------


def _own(session: Session, account_id: int, filter_id: int) -> Filter:
    row = session.get(Filter, filter_id)
    if row is None or row.account_id != account_id:
        raise NotFound(NOT_FOUND)  # someone else's is as absent as a missing one
    return row


def _own_keyword(
    session: Session, account_id: int, keyword_id: int
) -> tuple[FilterKeyword, Filter]:
    found = session.execute(
        select(FilterKeyword, Filter)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(FilterKeyword.id == keyword_id, Filter.account_id == account_id)
    ).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found[0], found[1]


def _keywords_of(session: Session, filter_ids: list[int]) -> list[FilterKeyword]:
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
        for kw in _keywords_of(session, list(views)):
            views[kw.filter_id].keywords.append(kw)
        for st in _statuses_of(session, list(views)):
            views[st.filter_id].statuses.append(st)
    return list(views.values())


def _apply(row: Filter, change: FilterChange) -> None:
    if change.title is not None:
        row.title = change.title
    if change.context is not None:
        row.context = _context(change.context)
    if change.action is not None:
        row.action = change.action
    if change.expires_in is not UNSET:
        if change.expires_in is not None and abs(change.expires_in) > MAX_EXPIRES_IN:
            raise InvalidInput("Validation failed: Expires in must be at most 100 years")
        row.expires_at = (
            None if change.expires_in is None else now() + timedelta(seconds=change.expires_in)
        )


def _context(given: Iterable[str]) -> list[str]:
    """Blank entries dropped, surrounding spaces trimmed, each context once."""
    return list(dict.fromkeys(c.strip() for c in given if c.strip()))


def _errors(row: Filter) -> list[str]:
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


def _refuse(errors: list[str]) -> None:
    if errors:
        raise InvalidInput("Validation failed: " + ", ".join(errors))


# --- matching posts ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilterInfo:
    """What a match says of its filter (a FilterResult's `filter`)."""

    id: int
    title: str
    context: tuple[str, ...]
    action: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Match:
    """A filter that matched a post: the text its keywords found (None: it has none that
    matched) and the filtered posts it is (None: the filter lists no posts)."""

    filter: FilterInfo
    keyword_matches: tuple[str, ...] | None
    status_matches: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class _Rule:
    filter: FilterInfo
    keywords: Keywords | None
    post_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Active:
    """A viewer's filters that can match anything, compiled."""

    rules: tuple[_Rule, ...]
    loaded_at: float  # time.monotonic()


TTL = 10.0  # seconds a process trusts its copy of someone's filters
SETTLING = 1.0  # a copy loaded this soon after a change may come from an older snapshot
MAX_CACHED = 10_000  # viewers; past that the cache starts over
_cache: dict[int, Active] = {}
_changed_at: dict[int, float] = {}
_lock = threading.Lock()
_PENDING = "bocage.filters.changed"


def active(session: Session, account_id: int) -> Active:
    """The viewer's unexpired filters that have keywords or posts, compiled: from this
    process's cache, or in three small indexed queries (one when there are none)."""
    moment = time.monotonic()
    cached = _cache.get(account_id)
    if cached is not None and moment - cached.loaded_at < TTL:
        return cached
    loaded = _load(session, account_id, moment)
    with _lock:
        if moment - _changed_at.get(account_id, -SETTLING) >= SETTLING:
            if len(_cache) >= MAX_CACHED:
                _cache.clear()
            _cache[account_id] = loaded
    return loaded


def forget(account_id: int) -> None:
    """Drop this process's copy of the account's filters (they changed)."""
    with _lock:
        _cache.pop(account_id, None)
        _changed_at[account_id] = time.monotonic()
        if len(_changed_at) >= MAX_CACHED:
            _changed_at.clear()
            _changed_at[account_id] = time.monotonic()


def _changed(session: Session, account_id: int) -> None:
    events.emit(session, "filters.changed", account_id=account_id)
    session.info.setdefault(_PENDING, set()).add(account_id)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    # Forgetting more than needed is harmless: a unit of work that ran twice, or a savepoint
    # rolled back, only makes the next page load the filters again.
    for account_id in session.info.pop(_PENDING, ()):
        forget(account_id)


def _load(session: Session, account_id: int, moment: float) -> Active:
    unexpired = or_(Filter.expires_at.is_(None), Filter.expires_at > now())
    rows = session.execute(
        select(Filter.id, Filter.title, Filter.context, Filter.action, Filter.expires_at).where(
            Filter.account_id == account_id, unexpired
        )
    ).all()
    if not rows:
        return Active((), moment)
    ids = [row.id for row in rows]
    words: dict[int, list[tuple[str, bool]]] = {}
    for filter_id, word, whole in session.execute(
        select(FilterKeyword.filter_id, FilterKeyword.keyword, FilterKeyword.whole_word)
        .where(FilterKeyword.filter_id.in_(ids))
        .order_by(FilterKeyword.id)
    ):
        words.setdefault(filter_id, []).append((word, whole))
    listed: dict[int, set[int]] = {}
    for filter_id, post_id in session.execute(
        select(FilterStatus.filter_id, FilterStatus.post_id).where(FilterStatus.filter_id.in_(ids))
    ):
        listed.setdefault(filter_id, set()).add(post_id)
    rules = tuple(
        _Rule(
            FilterInfo(row.id, row.title, tuple(row.context), row.action, row.expires_at),
            Keywords.of(words.get(row.id, [])),
            frozenset(listed.get(row.id, ())),
        )
        for row in sorted(rows, key=lambda row: row.id)
        if row.id in words or row.id in listed
    )
    return Active(rules, moment)


_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Keywords:
    """A filter's keywords, compiled. Matching ignores case as Unicode's case folding does
    ("STRASSE" matches "straße"). A whole-word keyword gets a word boundary on each side that
    begins or ends with a word character, as Mastodon builds it (so "#tag" and "c++" still
    match as written); word characters are Unicode's, not only ASCII's: "café" is a whole
    word in "un café noir", not in "cafés"."""

    folded: tuple[str, ...]  # each keyword, case-folded: a quick look before the expression
    expression: re.Pattern[str]

    @staticmethod
    def of(keywords: Iterable[tuple[str, bool]]) -> Keywords | None:
        folded, parts = [], []
        for word, whole_word in keywords:
            word = word.casefold()
            escaped = re.escape(word)
            if whole_word and word:
                if _WORD.match(word[0]):
                    escaped = r"\b" + escaped
                if _WORD.match(word[-1]):
                    escaped += r"\b"
            folded.append(word)
            parts.append(escaped)
        return Keywords(tuple(folded), re.compile("|".join(parts))) if parts else None

    def search(self, text: str, folded: str | None = None) -> str | None:
        """The first keyword in `text` (whose case folding `folded` is), as written there.

        The expression runs only when some keyword occurs in the text at all: a substring
        test is ~100 times cheaper, and most posts match nothing."""
        folded = text.casefold() if folded is None else folded
        if not any(word in folded for word in self.folded):
            return None
        hit = self.expression.search(folded)
        if hit is None:
            return None
        # Folding keeps the length of almost every text, and then its positions too.
        return text[hit.start() : hit.end()] if len(folded) == len(text) else hit.group(0)


def searchable_text(view: PostView) -> str:
    """The text keywords are looked for in: the shown post's (the original, for a boost)
    content warning, text (as written, for a local post; without markup, for a remote one)
    and media descriptions."""
    shown = view.shown
    post = shown.post
    body = post.source if shown.author.domain is None and post.source else plain(post.content)
    parts = [post.spoiler_text or "", body]
    descriptions = [media.description for media in shown.media if media.description]
    if descriptions:
        parts.append("\n\n".join(descriptions))
    return "\n\n".join(parts)


def matches_of(rules: Active, view: PostView, moment: datetime) -> list[Match]:
    """The filters among `rules` that match `view` (a boost matches as its original does,
    and also by its own id)."""
    found: list[Match] = []
    text, folded = "", None
    ids = (view.post.id, view.reblog.post.id) if view.reblog else (view.post.id,)
    for rule in rules.rules:
        if rule.filter.expires_at is not None and rule.filter.expires_at <= moment:
            continue
        words: tuple[str, ...] | None = None
        if rule.keywords is not None:
            if folded is None:
                text = searchable_text(view)
                folded = text.casefold()
            hit = rule.keywords.search(text, folded)
            words = (hit,) if hit is not None else None
        listed = tuple(i for i in ids if i in rule.post_ids) if rule.post_ids else None
        if words or listed:
            found.append(Match(rule.filter, words, listed))
    return found


def hides(found: Sequence[Match], context: str) -> bool:
    """Does a `hide` filter that applies in `context` match?"""
    return any(m.filter.action == "hide" and context in m.filter.context for m in found)


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

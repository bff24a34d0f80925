"""Matching posts against filters: a viewer's filters compiled (`load` → `Active`) and tried
against a post.

A post matches when a keyword occurs in its text (spoiler, body, media descriptions;
case-insensitive; a `whole_word` keyword only between word boundaries) or when it, or the post
it boosts, is one of the filter's posts. As on Mastodon (app/models/custom_filter.rb), every
active filter is tried, whatever the context, and the results name the filter with its
contexts, so that a client may decide per column. Pure: no cache, no writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bocage.core.content.text import plain
from bocage.core.timelines.timelines import PostView
from bocage.kernel.clock import now
from bocage.store.models import Filter, FilterKeyword, FilterStatus


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
class Rule:
    filter: FilterInfo
    keywords: Keywords | None
    post_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Active:
    """A viewer's filters that can match anything, compiled."""

    rules: tuple[Rule, ...]
    loaded_at: float  # time.monotonic()


def load(session: Session, account_id: int, moment: float) -> Active:
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
        Rule(
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

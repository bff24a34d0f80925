"""The v1 filters API, kept for older clients: one keyword of a filter is one "filter".

A v1 client cannot see a filter's other keywords, so it may change a filter's context, action
or expiry only when the filter has no other keyword (as on Mastodon).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.filters import process_cache
from bocage.core.filters.filters import (
    MULTIPLE_KEYWORDS,
    UNSET,
    FilterChange,
    KeywordChange,
    Unset,
    apply_change,
    clean_context,
    create,
    delete_keyword,
    errors_of,
    keywords_of,
    own_keyword,
    refuse,
)
from bocage.kernel.errors import InvalidInput
from bocage.store.models import Filter, FilterKeyword


def v1_all(session: Session, account_id: int) -> list[tuple[FilterKeyword, Filter]]:
    rows = session.execute(
        select(FilterKeyword, Filter)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(Filter.account_id == account_id)
        .order_by(FilterKeyword.id)
    )
    return [(kw, row) for kw, row in rows.all()]


def v1_one(session: Session, account_id: int, keyword_id: int) -> tuple[FilterKeyword, Filter]:
    return own_keyword(session, account_id, keyword_id)


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
    found, row = own_keyword(session, account_id, keyword_id)
    if phrase is not None and not phrase.strip():
        raise InvalidInput("Validation failed: Phrase can't be blank")
    action = None if irreversible is None else ("hide" if irreversible else "warn")
    changes_filter = (
        (context is not None and clean_context(context) != list(row.context))
        or (action is not None and action != row.action)
        or expires_in is not UNSET
    )
    alone = len(keywords_of(session, [row.id])) == 1
    if changes_filter and not alone:
        raise InvalidInput(MULTIPLE_KEYWORDS)
    if phrase is not None:
        found.keyword = phrase
    if whole_word is not None:
        found.whole_word = whole_word
    # The title follows the phrase only where the two are one (a filter made by v1).
    title = phrase if alone else None
    apply_change(
        row, FilterChange(title=title, context=context, action=action, expires_in=expires_in)
    )
    refuse(errors_of(row))
    process_cache.changed(session, account_id)
    return found, row


def v1_delete(session: Session, account_id: int, keyword_id: int) -> None:
    """Only the keyword goes (as on Mastodon): its filter stays, for the v2 API."""
    delete_keyword(session, account_id, keyword_id)

"""Filters: a person's filters (v2: a filter with keywords and statuses; v1: each keyword
presented as a filter of its own, for older clients). Matching posts against them is the
core's (core/filters/), applied wherever posts are read."""

from __future__ import annotations

from collections.abc import Sequence

from bocage.core.filters import filters, v1
from bocage.core.filters.filters import FilterChange, FilterView, Unset
from bocage.services.unit import Query, Service
from bocage.store.models import Account, Filter, FilterKeyword, FilterStatus

V1Filter = tuple[FilterKeyword, Filter]


class FilterService(Service):
    # --- v2 ---------------------------------------------------------------------------

    def all_of(self, owner: Account) -> Query[list[FilterView]]:
        return self._query(lambda session: filters.all_of(session, owner.id))

    def one(self, owner: Account, filter_id: int) -> Query[FilterView]:
        return self._query(lambda session: filters.one(session, owner.id, filter_id))

    async def create(self, owner: Account, change: FilterChange) -> FilterView:
        return await self._db.write(filters.create, owner.id, change)

    async def update(self, owner: Account, filter_id: int, change: FilterChange) -> FilterView:
        return await self._db.write(filters.update, owner.id, filter_id, change)

    async def delete(self, owner: Account, filter_id: int) -> None:
        await self._db.write(filters.delete_filter, owner.id, filter_id)

    def keywords(self, owner: Account, filter_id: int) -> Query[list[FilterKeyword]]:
        return self._query(lambda session: filters.keywords(session, owner.id, filter_id))

    async def add_keyword(
        self, owner: Account, filter_id: int, keyword: str, whole_word: bool | None
    ) -> FilterKeyword:
        return await self._db.write(filters.add_keyword, owner.id, filter_id, keyword, whole_word)

    def keyword(self, owner: Account, keyword_id: int) -> Query[FilterKeyword]:
        return self._query(lambda session: filters.keyword(session, owner.id, keyword_id))

    async def update_keyword(
        self, owner: Account, keyword_id: int, keyword: str | None, whole_word: bool | None
    ) -> FilterKeyword:
        return await self._db.write(
            filters.update_keyword, owner.id, keyword_id, keyword, whole_word
        )

    async def delete_keyword(self, owner: Account, keyword_id: int) -> None:
        await self._db.write(filters.delete_keyword, owner.id, keyword_id)

    def statuses(self, owner: Account, filter_id: int) -> Query[list[FilterStatus]]:
        return self._query(lambda session: filters.statuses(session, owner.id, filter_id))

    async def add_status(self, owner: Account, filter_id: int, post_id: int | None) -> FilterStatus:
        return await self._db.write(filters.add_status, owner.id, filter_id, post_id)

    def status(self, owner: Account, status_filter_id: int) -> Query[FilterStatus]:
        return self._query(lambda session: filters.status(session, owner.id, status_filter_id))

    async def delete_status(self, owner: Account, status_filter_id: int) -> None:
        await self._db.write(filters.delete_status, owner.id, status_filter_id)

    # --- v1 ---------------------------------------------------------------------------

    def v1_all(self, owner: Account) -> Query[list[V1Filter]]:
        return self._query(lambda session: v1.v1_all(session, owner.id))

    def v1_one(self, owner: Account, keyword_id: int) -> Query[V1Filter]:
        return self._query(lambda session: v1.v1_one(session, owner.id, keyword_id))

    async def v1_create(
        self,
        owner: Account,
        *,
        phrase: str,
        context: Sequence[str] | None,
        irreversible: bool,
        whole_word: bool | None,
        expires_in: int | None,
    ) -> V1Filter:
        return await self._db.write(
            v1.v1_create,
            owner.id,
            phrase=phrase,
            context=context,
            irreversible=irreversible,
            whole_word=whole_word,
            expires_in=expires_in,
        )

    async def v1_update(
        self,
        owner: Account,
        keyword_id: int,
        *,
        phrase: str | None,
        context: Sequence[str] | None,
        irreversible: bool | None,
        whole_word: bool | None,
        expires_in: int | Unset | None,
    ) -> V1Filter:
        return await self._db.write(
            v1.v1_update,
            owner.id,
            keyword_id,
            phrase=phrase,
            context=context,
            irreversible=irreversible,
            whole_word=whole_word,
            expires_in=expires_in,
        )

    async def v1_delete(self, owner: Account, keyword_id: int) -> None:
        await self._db.write(v1.v1_delete, owner.id, keyword_id)

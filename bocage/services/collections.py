"""Collections (Mastodon 4.6): a person's collections of accounts they recommend, what
anyone may read of them, and the consent of the accounts in them (core/collections)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from bocage.core.collections import collections
from bocage.core.collections.collections import CollectionView, Draft
from bocage.kernel.context import Context
from bocage.services.accounts import shown_account
from bocage.services.unit import Query, Service
from bocage.store.models import Account, CollectionItem


class CollectionService(Service):
    def get(self, collection_id: int, viewer: Account | None) -> Query[CollectionView]:
        """One collection as `viewer` may see it; `NotFound` when they may not."""
        viewer_id = viewer.id if viewer else None
        return self._query(lambda session: collections.view(session, collection_id, viewer_id))

    def of_account(
        self, account_id: int, viewer: Account | None, *, offset: int, limit: int
    ) -> Query[tuple[list[CollectionView], bool]]:
        """An account's collections (gone or suspended: `NotFound`), and whether more
        follow."""
        viewer_id = viewer.id if viewer else None

        def load(session: Session) -> tuple[list[CollectionView], bool]:
            account = shown_account(session, account_id)
            return collections.of_account(session, account, viewer_id, offset=offset, limit=limit)

        return self._query(load)

    def featuring(
        self, account_id: int, viewer: Account, *, offset: int, limit: int
    ) -> Query[tuple[list[CollectionView], bool]]:
        """The collections an account is in, for that account only (`Forbidden` else)."""

        def load(session: Session) -> tuple[list[CollectionView], bool]:
            account = shown_account(session, account_id)
            return collections.featured_in(session, account, viewer.id, offset=offset, limit=limit)

        return self._query(load)

    async def create(
        self, curator: Account, draft: Draft, account_ids: Iterable[int]
    ) -> CollectionView:
        return await self._db.write(_create, self._ctx, curator.id, draft, list(account_ids))

    async def update(self, curator: Account, collection_id: int, draft: Draft) -> CollectionView:
        return await self._db.write(_update, self._ctx, curator.id, collection_id, draft)

    async def delete(self, curator: Account, collection_id: int) -> None:
        await self._db.write(_delete, self._ctx, curator.id, collection_id)

    async def add(
        self, curator: Account, collection_id: int, account_id: int | None
    ) -> CollectionItem:
        return await self._db.write(_add, self._ctx, curator.id, collection_id, account_id)

    async def remove(self, curator: Account, collection_id: int, item_id: int) -> None:
        await self._db.write(_remove, self._ctx, curator.id, collection_id, item_id)

    async def revoke(self, member: Account, collection_id: int, item_id: int) -> None:
        await self._db.write(_revoke, self._ctx, member.id, collection_id, item_id)


def _me(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account


def _create(
    session: Session, ctx: Context, curator_id: int, draft: Draft, account_ids: list[int]
) -> CollectionView:
    return collections.create(session, ctx, _me(session, curator_id), draft, account_ids)


def _update(
    session: Session, ctx: Context, curator_id: int, collection_id: int, draft: Draft
) -> CollectionView:
    return collections.update(session, ctx, _me(session, curator_id), collection_id, draft)


def _delete(session: Session, ctx: Context, curator_id: int, collection_id: int) -> None:
    collections.delete_collection(session, ctx, _me(session, curator_id), collection_id)


def _add(
    session: Session, ctx: Context, curator_id: int, collection_id: int, account_id: int | None
) -> CollectionItem:
    return collections.add(session, ctx, _me(session, curator_id), collection_id, account_id)


def _remove(
    session: Session, ctx: Context, curator_id: int, collection_id: int, item_id: int
) -> None:
    collections.remove(session, ctx, _me(session, curator_id), collection_id, item_id)


def _revoke(
    session: Session, ctx: Context, member_id: int, collection_id: int, item_id: int
) -> None:
    collections.revoke(session, ctx, _me(session, member_id), collection_id, item_id)

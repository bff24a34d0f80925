"""Lists: a person's own lists (make, rename, delete), their members, which lists hold an
account. A list's timeline is read through `TimelineService.list_timeline`."""

from __future__ import annotations

from collections.abc import Iterable

from bocage.core.graph import lists
from bocage.services.unit import Query, Service
from bocage.store.models import Account, UserList


class ListService(Service):
    def of_owner(self, owner: Account) -> Query[list[UserList]]:
        return self._query(lambda session: lists.of_owner(session, owner.id))

    def get(self, owner: Account, list_id: int) -> Query[UserList]:
        """The owner's list; someone else's, like a missing one, is `NotFound`."""
        return self._query(lambda session: lists.get(session, owner.id, list_id))

    async def create(
        self, owner: Account, title: str, replies_policy: str = "list", exclusive: bool = False
    ) -> UserList:
        return await self._db.write(lists.create, owner.id, title, replies_policy, exclusive)

    async def update(
        self,
        owner: Account,
        list_id: int,
        *,
        title: str | None = None,
        replies_policy: str | None = None,
        exclusive: bool | None = None,
    ) -> UserList:
        """What is not given (None) stays as it is."""
        return await self._db.write(
            lists.update,
            owner.id,
            list_id,
            title=title,
            replies_policy=replies_policy,
            exclusive=exclusive,
        )

    async def delete(self, owner: Account, list_id: int) -> None:
        await self._db.write(lists.delete_list, owner.id, list_id)

    def members(
        self,
        owner: Account,
        list_id: int,
        *,
        max_id: int | None = None,
        min_id: int | None = None,
        limit: int | None = 40,
    ) -> Query[list[Account]]:
        return self._query(
            lambda session: lists.members(
                session, owner.id, list_id, max_id=max_id, min_id=min_id, limit=limit
            )
        )

    async def add_members(self, owner: Account, list_id: int, account_ids: Iterable[int]) -> None:
        await self._db.write(lists.add_members, owner.id, list_id, list(account_ids))

    async def remove_members(
        self, owner: Account, list_id: int, account_ids: Iterable[int]
    ) -> None:
        await self._db.write(lists.remove_members, owner.id, list_id, list(account_ids))

    def holding(self, owner: Account, account_id: int) -> Query[list[UserList]]:
        """The owner's lists that hold the account."""
        return self._query(lambda session: lists.lists_with(session, owner.id, account_id))

"""Notifications: a person's, paged and filtered by type, one by id, the unread count;
dismissing one, clearing them, marking them all read (apps see that through the markers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.notifications import notifications
from bocage.kernel.errors import NotFound
from bocage.services.unit import JobPayload, Query, Service
from bocage.store.models import Account, Notification, Post

NOT_FOUND = "Record not found"


@dataclass(frozen=True)
class WithContext:
    """A page of notifications with who sent each and the post each is about."""

    items: list[Notification]
    senders: dict[int, Account]
    posts: dict[int, Post]


class NotificationService(Service):
    def page(
        self,
        owner: Account,
        *,
        max_id: int | None = None,
        min_id: int | None = None,
        limit: int = 40,
        types: frozenset[str] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> Query[list[Notification]]:
        return self._query(
            lambda session: notifications.page(
                session,
                owner,
                max_id=max_id,
                min_id=min_id,
                limit=limit,
                types=types,
                exclude=exclude,
            )
        )

    def with_context(self, owner: Account, max_id: int | None) -> Query[WithContext]:
        def load(session: Session) -> WithContext:
            items = notifications.page(session, owner, max_id=max_id, limit=40)
            senders = _by_id(session, Account, {n.from_account_id for n in items})
            posts = _by_id(session, Post, {n.post_id for n in items if n.post_id})
            return WithContext(items, senders, posts)

        return self._query(load)

    def one(self, owner: Account, notification_id: int) -> Query[Notification]:
        """One of the owner's notifications; anyone else's is `NotFound`."""

        def load(session: Session) -> Notification:
            row = session.get(Notification, notification_id or 0)
            if row is None or row.account_id != owner.id:
                raise NotFound(NOT_FOUND)
            return row

        return self._query(load)

    def unread_count(self, owner: Account) -> Query[int]:
        return self._query(lambda session: notifications.unread_count(session, owner.id))

    async def dismiss(self, owner: Account, notification_id: int) -> None:
        await self._db.write(notifications.dismiss, owner.id, notification_id)

    async def clear(self, owner: Account) -> None:
        await self._db.write(notifications.clear, owner.id)

    async def mark_all_read(self, owner: Account) -> None:
        await self._db.write(notifications.mark_all_read, owner.id)

    def deliver(self, session: Session, payload: JobPayload) -> None:
        """`notify` (a job: services/__init__.py, point 6): one notification, unless its
        recipient or its post was deleted meanwhile."""
        notifications.handle_notify(session, payload)


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = session.execute(select(model).where(model.id.in_(ids))).scalars()
    return {row.id: row for row in rows}

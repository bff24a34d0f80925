"""Notifications: a person's, paged and filtered by type, one by id, the unread count;
dismissing one, clearing them, marking them all read (apps see that through the markers);
grouped (Mastodon 4.3's `/api/v2/notifications`); the person's notification policy and the
requests holding what it filtered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.notifications import groups, notifications, policy, requests
from bocage.core.notifications.groups import Group
from bocage.core.notifications.policy import Policy
from bocage.kernel.errors import NotFound
from bocage.services.unit import JobPayload, Query, Service
from bocage.store.models import Account, Notification, NotificationRequest, Post

NOT_FOUND = "Record not found"


@dataclass(frozen=True)
class WithContext:
    """A page of notifications with who sent each and the post each is about."""

    items: list[Notification]
    senders: dict[int, Account]
    posts: dict[int, Post]


@dataclass(frozen=True)
class Browse:
    """Which notifications a list shows: of `types` (None: all), without `exclude`, the
    filtered ones too if asked, or one sender's; `grouping`, the kinds shown grouped."""

    types: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    include_filtered: bool = False
    from_account_id: int | None = None
    grouping: frozenset[str] = field(default_factory=lambda: groups.grouped_types(None))

    def clauses(self, owner: Account) -> list[Any]:
        return notifications.browsable(
            owner.id, self.types, self.exclude, self.include_filtered, self.from_account_id
        )


@dataclass(frozen=True)
class GroupPage:
    groups: list[Group]
    page_ids: list[int]


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
        include_filtered: bool = False,
        from_account_id: int | None = None,
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
                include_filtered=include_filtered,
                from_account_id=from_account_id,
            )
        )

    def grouped(
        self,
        owner: Account,
        browse: Browse,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
    ) -> Query[GroupPage]:
        """A page of notification groups, with the ids of the notifications it holds."""

        def load(session: Session) -> GroupPage:
            found, ids = groups.page_of_groups(
                session, owner.id, browse.clauses(owner), limit, browse.grouping,
                max_id=max_id, since_id=since_id, min_id=min_id,
            )  # fmt: skip
            return GroupPage(found, ids)

        return self._query(load)

    def group(self, owner: Account, key: str) -> Query[Group]:
        """One group by its key, counted whole (`NotFound` when it holds nothing)."""

        def load(session: Session) -> Group:
            row = session.execute(
                select(Notification)
                .where(groups.by_key(owner.id, key))
                .order_by(Notification.id.desc())
                .limit(1)
            ).scalar()
            if row is None:
                raise NotFound(NOT_FOUND)
            grouping = groups.grouped_types(None)
            return groups.from_notifications(session, owner.id, [row], grouping)[0]

        return self._query(load)

    def group_senders(
        self,
        owner: Account,
        key: str,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
    ) -> Query[list[Notification]]:
        """The notifications of a group, newest first (the route shows who sent each)."""

        def load(session: Session) -> list[Notification]:
            query = select(Notification).where(groups.by_key(owner.id, key))
            if max_id is not None:
                query = query.where(Notification.id < max_id)
            if since_id is not None:
                query = query.where(Notification.id > since_id)
            rows = session.execute(query.order_by(Notification.id.desc()).limit(limit))
            return list(rows.scalars())

        return self._query(load)

    def unread(self, owner: Account, browse: Browse, *, limit: int, grouped: bool) -> Query[int]:
        """How many notifications (or groups of them) came after the notifications marker,
        counted up to `limit`."""

        def load(session: Session) -> int:
            last = notifications.last_read_id(session, owner.id)
            clauses = browse.clauses(owner)
            if not grouped:
                return notifications.unread_after(session, clauses, last, limit)
            found = groups.paginate(session, clauses, limit, browse.grouping, min_id=last or 0)
            return len(found)

        return self._query(load)

    async def dismiss_group(self, owner: Account, key: str) -> None:
        await self._db.write(notifications.dismiss_group, owner.id, key)

    # --- the policy and its requests ------------------------------------------------------

    def policy(self, owner: Account) -> Query[Policy]:
        return self._query(lambda session: policy.read(session, owner.id))

    async def update_policy(self, owner: Account, changes: dict[str, str]) -> Policy:
        return await self._db.write(policy.update, owner.id, changes)

    def requests(
        self,
        owner: Account,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
    ) -> Query[list[NotificationRequest]]:
        return self._query(
            lambda session: requests.page(
                session, owner.id, limit=limit, max_id=max_id, since_id=since_id, min_id=min_id
            )
        )

    def request(self, owner: Account, request_id: int) -> Query[NotificationRequest]:
        return self._query(lambda session: requests.one(session, owner.id, request_id))

    async def accept_requests(
        self, owner: Account, request_ids: list[int], *, one_only: bool = False
    ) -> None:
        """Accept requests: their notifications join the list, their senders pass from now
        on. `one_only`: one request, `NotFound` unless it is the owner's."""
        await self._db.write(requests.accept, owner.id, request_ids, one_only=one_only)

    async def dismiss_requests(
        self, owner: Account, request_ids: list[int], *, one_only: bool = False
    ) -> None:
        await self._db.write(requests.dismiss, owner.id, request_ids, one_only=one_only)

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

"""Direct conversations: a person's list, paged by each conversation's last post; marking
one read; removing one from the list."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bocage.core.messaging import conversations
from bocage.core.timelines import timelines
from bocage.services.reader import ConversationPage, conversation_page
from bocage.services.unit import Query, Service
from bocage.store.models import Account


class ConversationService(Service):
    def page(self, owner: Account, page: timelines.Page) -> Query[ConversationPage]:
        return self._query(
            lambda session: conversation_page(
                session, owner, conversations.page(session, owner, page)
            )
        )

    def one(self, owner: Account, conversation_id: int) -> Query[ConversationPage]:
        return self._query(
            lambda session: conversation_page(
                session, owner, [conversations.own(session, owner, conversation_id)]
            )
        )

    async def mark_read(self, owner: Account, conversation_id: int) -> None:
        await self._db.write(_mark_read, owner.id, conversation_id)

    async def remove(self, owner: Account, conversation_id: int) -> None:
        await self._db.write(conversations.remove, owner, conversation_id)


def _mark_read(session: Session, owner_id: int, conversation_id: int) -> None:
    viewer = session.get(Account, owner_id)
    assert viewer is not None
    conversations.mark_read(session, viewer, conversation_id)

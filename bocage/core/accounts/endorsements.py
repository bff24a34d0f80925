"""Endorsements: accounts someone features on their profile (Mastodon's account pins, shown
as "featured profiles"). Only accounts they follow: an endorsement goes with its follow."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bocage.core.timelines.timelines import Page
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Endorsement, Follow
from bocage.store.upsert import insert_ignore

MAX_PAGE = 80


def endorse(session: Session, account: Account, target: Account) -> None:
    follow = session.get(Follow, (account.id, target.id))
    if follow is None or not follow.accepted:
        raise InvalidInput("You must be already following the person you want to endorse")
    row = {"id": new_id(), "account_id": account.id, "target_id": target.id, "created_at": now()}
    insert_ignore(session, Endorsement, row)  # endorsing twice changes nothing


def unendorse(session: Session, account: Account, target: Account) -> None:
    session.execute(
        delete(Endorsement).where(
            Endorsement.account_id == account.id, Endorsement.target_id == target.id
        )
    )


def endorsed(session: Session, account_id: int, page: Page) -> list[tuple[int, Account]]:
    """The accounts `account_id` endorses, the latest endorsed first, each with the id of
    its endorsement (what pages are cut by). Suspended accounts are left out."""
    query = (
        select(Endorsement.id, Account)
        .join(Account, Account.id == Endorsement.target_id)
        .where(Endorsement.account_id == account_id, Account.suspended.is_(False))
    )
    if page.max_id is not None:
        query = query.where(Endorsement.id < page.max_id)
    if page.min_id is not None:
        query = query.where(Endorsement.id > page.min_id)
    limit = max(1, min(page.limit, MAX_PAGE))
    rows = session.execute(query.order_by(Endorsement.id.desc()).limit(limit))
    return [(endorsement_id, account) for endorsement_id, account in rows.all()]

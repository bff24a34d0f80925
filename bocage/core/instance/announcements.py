"""Announcements: notices the admins publish to everyone on the node, as Mastodon's (apps show
them above the home timeline). Each person may mark one read (dismiss it) and react to it
with emojis; nothing of this federates.

An announcement is shown once published, until the admins remove it, as Mastodon's (they
unpublish it there); `starts_at` and `ends_at` are the times of what it announces (an event,
a maintenance window), with `all_day` when only their dates matter.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.kernel.events import emit
from bocage.kernel.ids import new_id
from bocage.store.models import Announcement, AnnouncementDismissal, AnnouncementReaction
from bocage.store.sql import changed
from bocage.store.upsert import insert_ignore

MAX_TEXT = 10_000
MAX_REACTION_NAMES = 8  # different emojis under one announcement, as Mastodon's limit
NOT_FOUND = "Record not found"


@dataclass(frozen=True)
class Reaction:
    name: str
    count: int
    me: bool


@dataclass(frozen=True)
class AnnouncementView:
    announcement: Announcement
    read: bool
    reactions: list[Reaction]


def publish(
    session: Session,
    text: str,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    all_day: bool = False,
) -> Announcement:
    text = text.strip()
    if not text:
        raise InvalidInput("An announcement needs some text.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"An announcement can be at most {MAX_TEXT:,} characters long.")
    if (starts_at is None) != (ends_at is None):
        raise InvalidInput("Give both a start and an end, or neither.")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("An announcement must end after it starts.")
    moment = now()
    row = Announcement(
        id=new_id(),
        text=text,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        published_at=moment,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    return row


def remove(session: Session, announcement_id: int) -> None:
    row = session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound("There is no such announcement.")
    session.delete(row)


def all_announcements(session: Session) -> list[Announcement]:
    """Every announcement, newest first (for the admins)."""
    return list(session.execute(select(Announcement).order_by(Announcement.id.desc())).scalars())


def _shown(session: Session, at: datetime) -> list[Announcement]:
    rows = session.execute(
        select(Announcement).where(
            Announcement.published_at.is_not(None), Announcement.published_at <= at
        )
    ).scalars()

    def chronological(row: Announcement) -> datetime:
        # Mastodon's order: by start, else by publication.
        return row.starts_at or row.published_at or row.created_at

    return sorted(rows, key=lambda row: (chronological(row), row.id))


def shown(session: Session, account_id: int | None) -> list[AnnouncementView]:
    """The announcements shown now, oldest first, as `account_id` sees them (read or not,
    which reactions are theirs)."""
    rows = _shown(session, now())
    if not rows:
        return []
    ids = [row.id for row in rows]
    read: set[int] = set()
    mine: set[tuple[int, str]] = set()
    if account_id is not None:
        read = set(
            session.execute(
                select(AnnouncementDismissal.announcement_id).where(
                    AnnouncementDismissal.account_id == account_id,
                    AnnouncementDismissal.announcement_id.in_(ids),
                )
            ).scalars()
        )
        mine = {
            (announcement_id, name)
            for announcement_id, name in session.execute(
                select(AnnouncementReaction.announcement_id, AnnouncementReaction.name).where(
                    AnnouncementReaction.account_id == account_id,
                    AnnouncementReaction.announcement_id.in_(ids),
                )
            )
        }
    counts = session.execute(
        select(
            AnnouncementReaction.announcement_id,
            AnnouncementReaction.name,
            func.count(),
            func.min(AnnouncementReaction.created_at),
        )
        .where(AnnouncementReaction.announcement_id.in_(ids))
        .group_by(AnnouncementReaction.announcement_id, AnnouncementReaction.name)
    ).all()
    reactions: dict[int, list[tuple[datetime, Reaction]]] = {}
    for announcement_id, name, count, first in counts:
        reaction = Reaction(name, int(count), (announcement_id, name) in mine)
        reactions.setdefault(announcement_id, []).append((first, reaction))
    return [
        AnnouncementView(
            row,
            row.id in read,
            [reaction for _first, reaction in sorted(reactions.get(row.id, []), key=_first)],
        )
        for row in rows
    ]


def _first(entry: tuple[datetime, Reaction]) -> tuple[datetime, str]:
    return entry[0], entry[1].name


def _published(session: Session, announcement_id: int) -> Announcement:
    row = session.get(Announcement, announcement_id)
    if row is None or row not in _shown(session, now()):
        raise NotFound(NOT_FOUND)
    return row


def dismiss(session: Session, account_id: int, announcement_id: int) -> None:
    """Marks it read for `account_id` (again is fine)."""
    _published(session, announcement_id)
    insert_ignore(
        session,
        AnnouncementDismissal,
        {"announcement_id": announcement_id, "account_id": account_id},
    )


def react(session: Session, account_id: int, announcement_id: int, name: str) -> None:
    """Adds `account_id`'s `name` emoji under the announcement (again is fine)."""
    _published(session, announcement_id)
    if not is_emoji(name):
        raise InvalidInput("Validation failed: Name is not a recognized emoji")
    others = session.execute(
        select(func.count(func.distinct(AnnouncementReaction.name))).where(
            AnnouncementReaction.announcement_id == announcement_id,
            AnnouncementReaction.name != name,
        )
    ).scalar_one()
    exists = session.execute(
        select(AnnouncementReaction.name)
        .where(
            AnnouncementReaction.announcement_id == announcement_id,
            AnnouncementReaction.name == name,
        )
        .limit(1)
    ).first()
    if exists is None and others >= MAX_REACTION_NAMES:
        raise InvalidInput("Validation failed: Limit of different reactions reached")
    insert_ignore(
        session,
        AnnouncementReaction,
        {
            "announcement_id": announcement_id,
            "account_id": account_id,
            "name": name,
            "created_at": now(),
        },
    )
    _reactions_changed(session, announcement_id, name)


def unreact(session: Session, account_id: int, announcement_id: int, name: str) -> None:
    """Takes `account_id`'s `name` reaction back; 404 when there is none."""
    _published(session, announcement_id)
    gone = changed(
        session,
        delete(AnnouncementReaction).where(
            AnnouncementReaction.announcement_id == announcement_id,
            AnnouncementReaction.account_id == account_id,
            AnnouncementReaction.name == name,
        ),
    )
    if not gone:
        raise NotFound(NOT_FOUND)
    _reactions_changed(session, announcement_id, name)


def _reactions_changed(session: Session, announcement_id: int, name: str) -> None:
    """Everyone's user stream hears how many `name` reactions the announcement has now
    (Mastodon's `announcement.reaction` event)."""
    count = session.execute(
        select(func.count())
        .select_from(AnnouncementReaction)
        .where(
            AnnouncementReaction.announcement_id == announcement_id,
            AnnouncementReaction.name == name,
        )
    ).scalar_one()
    emit(session, "announcement.reaction", announcement_id=announcement_id, name=name, count=count)


_EMOJI_PARTS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def is_emoji(name: str) -> bool:
    """A Unicode emoji (one, possibly joined and modified: 👍, 👍🏽, 👩‍💻, 🇫🇷, 1️⃣), as the
    reactions Mastodon accepts without custom emojis, which this node has none of."""
    if not name or len(name) > 16:
        return False
    pictographs = 0
    for char in name:
        if char in _EMOJI_PARTS or 0x1F3FB <= ord(char) <= 0x1F3FF:  # joiner, skin tones
            continue
        if 0x1F1E6 <= ord(char) <= 0x1F1FF or 0xE0020 <= ord(char) <= 0xE007F:  # flags
            pictographs += 1
            continue
        if unicodedata.category(char) == "So" or (char in "#*0123456789" and "\u20e3" in name):
            pictographs += 1
            continue
        return False
    return pictographs > 0

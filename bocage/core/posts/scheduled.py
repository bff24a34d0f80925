"""Scheduled statuses: posts written now and published later (Mastodon's ScheduledStatus).

A scheduled status is checked when it is written, as `posts.publish` would check it, and
keeps the parameters its client sent (`params`, which Mastodon shows back, poll included).
Its uploads are reserved for it. A `scheduled.publish` job, due at `scheduled_at`, publishes
it through `posts.publish` like any post and deletes the row in the same transaction: it is
published once, however often the job runs. Rescheduling enqueues a new job; the old one
finds that the row's time is no longer the one it was made for, and does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.quotes.policy import Choice
from bocage.core.reading.visibility import DEFAULT, Visibility
from bocage.core.timelines.timelines import Page
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, MediaFile, ScheduledMedia, ScheduledStatus
from bocage.store.queue import enqueue
from bocage.store.sql import insert_rows

log = logging.getLogger("bocage.scheduled")

JOB = "scheduled.publish"
MIN_OFFSET = timedelta(minutes=5)  # Mastodon's ScheduledStatus::MINIMUM_OFFSET
TOTAL_LIMIT = 300
DAILY_LIMIT = 25
# Mastodon's own messages (errors on `scheduled_at`, then on the record as a whole).
TOO_SOON = "Validation failed: Scheduled at The scheduled date must be in the future"
OVER_TOTAL = f"Validation failed: You have exceeded the limit of {TOTAL_LIMIT} scheduled posts"
OVER_DAILY = (
    f"Validation failed: You have exceeded the limit of {DAILY_LIMIT} scheduled posts for today"
)


@dataclass(frozen=True)
class Extras:
    """What a scheduled post keeps beyond its draft, for Mastodon's `params`."""

    sensitive: bool | None = None
    application_id: int | None = None


def parse_time(value: str) -> datetime:
    """An ISO 8601 date or date-time, as clients send `scheduled_at`; UTC when no offset."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "Validation failed: Scheduled at is not an ISO 8601 date and time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def requested_time(value: str) -> datetime | None:
    """When a client asks a post to be published; None for now: as on Mastodon, a time
    already past publishes at once (and one less than 5 minutes ahead is refused later)."""
    moment = parse_time(value)
    return None if moment <= now() else moment


def schedule(
    session: Session,
    ctx: Context,
    author: Account,
    draft: posts.PostDraft,
    at: datetime,
    extras: Extras = Extras(),
) -> ScheduledStatus:
    _check_time(at)
    _check_limits(session, author.id, at)
    posts.check(session, ctx, author, draft)
    row = ScheduledStatus(
        id=new_id(), account_id=author.id, scheduled_at=at, params=params_of(draft, extras)
    )
    session.add(row)
    session.flush()  # the reservations below refer to it
    insert_rows(
        session,
        ScheduledMedia,
        [{"media_id": media_id, "scheduled_status_id": row.id} for media_id in draft.media_ids],
    )
    _enqueue(session, row)
    return row


def reschedule(
    session: Session, account: Account, scheduled_id: int, at: datetime
) -> ScheduledStatus:
    row = own(session, account, scheduled_id)
    _check_time(at)
    _check_limits(session, account.id, at, besides=row.id)
    row.scheduled_at = at
    _enqueue(session, row)  # the job made for the old time will find nothing to do
    return row


def cancel(session: Session, account: Account, scheduled_id: int) -> None:
    session.delete(own(session, account, scheduled_id))  # its uploads are free again


def own(session: Session, account: Account, scheduled_id: int) -> ScheduledStatus:
    row = session.get(ScheduledStatus, scheduled_id)
    if row is None or row.account_id != account.id:
        raise NotFound("Record not found")
    return row


def page(session: Session, account: Account, page: Page) -> list[ScheduledStatus]:
    """The account's scheduled statuses, newest first (by id, as Mastodon pages them)."""
    page = page.bounded()
    query = select(ScheduledStatus).where(ScheduledStatus.account_id == account.id)
    if page.max_id is not None:
        query = query.where(ScheduledStatus.id < page.max_id)
    if page.min_id is not None:
        query = query.where(ScheduledStatus.id > page.min_id)
    rows = session.execute(query.order_by(ScheduledStatus.id.desc()).limit(page.limit))
    return list(rows.scalars())


def attachments(session: Session, rows: list[ScheduledStatus]) -> dict[int, list[MediaFile]]:
    """The uploads reserved for each scheduled status, in the order the client gave them."""
    found: dict[int, list[MediaFile]] = {row.id: [] for row in rows}
    if rows:
        reserved = session.execute(
            select(ScheduledMedia.scheduled_status_id, MediaFile)
            .join(MediaFile, MediaFile.id == ScheduledMedia.media_id)
            .where(ScheduledMedia.scheduled_status_id.in_(found))
        )
        by_id = {(owner, upload.id): upload for owner, upload in reserved.all()}
        for row in rows:
            order = [int(media_id) for media_id in row.params.get("media_ids") or []]
            found[row.id] = [by_id[row.id, m] for m in order if (row.id, m) in by_id]
    return found


def params_of(draft: posts.PostDraft, extras: Extras) -> dict[str, Any]:
    """Mastodon's `params`: what the client asked, shown back and published from (a quote's
    parameters only when given, as the client sent them)."""
    quoting: dict[str, Any] = {}
    if draft.quoted_post_id is not None:
        quoting["quoted_status_id"] = str(draft.quoted_post_id)
    if draft.quote_policy is not None:
        quoting["quote_approval_policy"] = draft.quote_policy.value
    return {
        "text": draft.text,
        "media_ids": [str(media_id) for media_id in draft.media_ids] or None,
        "sensitive": extras.sensitive,
        "spoiler_text": draft.spoiler_text or None,
        "visibility": draft.visibility,
        "language": draft.language,
        "scheduled_at": None,
        "poll": draft.poll.as_params() if draft.poll else None,
        "idempotency": None,
        "with_rate_limit": False,
        "in_reply_to_id": draft.in_reply_to_id,
        "application_id": extras.application_id,
        **quoting,
        # Mastodon's `allowed_mentions` parameter is not taken here: null, as Mastodon keeps it
        # when the client sends none.
        "allowed_mentions": None,
    }


def draft_of(params: dict[str, Any]) -> posts.PostDraft:
    """The draft a scheduled status publishes (its `params` read back)."""
    return posts.PostDraft(
        text=params.get("text") or "",
        spoiler_text=params.get("spoiler_text") or "",
        visibility=Visibility.parse(params.get("visibility") or DEFAULT),
        in_reply_to_id=params.get("in_reply_to_id"),
        language=params.get("language"),
        media_ids=tuple(int(media_id) for media_id in params.get("media_ids") or ()),
        poll=polls.PollDraft.from_params(params["poll"]) if params.get("poll") else None,
        quoted_post_id=int(params["quoted_status_id"]) if params.get("quoted_status_id") else None,
        quote_policy=Choice(params["quote_approval_policy"])
        if params.get("quote_approval_policy")
        else None,
    )


# --- publishing --------------------------------------------------------------------------------


def publish_due(session: Session, ctx: Context, payload: dict[str, Any]) -> None:
    """The `scheduled.publish` job. Acts only through the session: if it runs twice, the
    second run finds the row gone."""
    row = session.get(ScheduledStatus, payload["id"])
    if row is None or row.scheduled_at != datetime.fromisoformat(payload["at"]):
        return  # published, cancelled, or rescheduled (a job for its new time exists)
    author = session.get(Account, row.account_id)
    draft = draft_of(row.params)
    session.delete(row)  # first: this frees its uploads for the post
    session.flush()
    if author is None or author.suspended:
        return  # a suspended account's posts are not published for it
    try:
        with session.begin_nested():  # a refusal must leave nothing half-written
            posts.publish(session, ctx, author, draft)
    except DomainError as exc:
        # As Mastodon: a scheduled status that can no longer be posted (its reply target
        # was deleted, the account moved…) is dropped rather than retried for ever.
        log.info("scheduled status %s dropped: %s", row.id, exc.message)


def _enqueue(session: Session, row: ScheduledStatus) -> None:
    delay = max((row.scheduled_at - now()).total_seconds(), 0.0)
    payload = {"id": row.id, "at": row.scheduled_at.isoformat()}
    enqueue(session, JOB, payload, delay=delay)


def _check_time(at: datetime) -> None:
    if at <= now() + MIN_OFFSET:
        raise InvalidInput(TOO_SOON)


def _check_limits(session: Session, account_id: int, at: datetime, besides: int = 0) -> None:
    """Mastodon's limits: 300 scheduled in all, 25 on one (UTC) day. A rescheduled status
    does not count against itself."""
    mine = (
        select(func.count())
        .select_from(ScheduledStatus)
        .where(ScheduledStatus.account_id == account_id, ScheduledStatus.id != besides)
    )
    if session.execute(mine).scalar_one() >= TOTAL_LIMIT:
        raise InvalidInput(OVER_TOTAL)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    that_day = mine.where(
        ScheduledStatus.scheduled_at >= day, ScheduledStatus.scheduled_at < day + timedelta(days=1)
    )
    if session.execute(that_day).scalar_one() >= DAILY_LIMIT:
        raise InvalidInput(OVER_DAILY)

"""The admin dashboard's numbers (Mastodon's `/api/v1/admin/measures`, `dimensions` and
`retention`), computed from the rows this node holds, day by day (UTC).

What the node does not keep is answered with the key and no data (`UNKNOWN_*`): it keeps no
record of sign-ins or of which app made a post, so "active" means "posted, boosted or
favourited that day", `sources` is empty, and nothing is known of a remote server's media
sizes beyond the files this node holds."""

from __future__ import annotations

import hashlib
import platform
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bocage.core.instance.domains import clean_domain
from bocage.kernel.errors import InvalidInput
from bocage.store.models import (
    Account,
    Favourite,
    Follow,
    MediaFile,
    Post,
    PostTag,
    Report,
    User,
)

MEASURES = (
    "active_users", "new_users", "interactions", "opened_reports", "resolved_reports",
    "tag_accounts", "tag_uses", "tag_servers", "instance_accounts",
    "instance_media_attachments", "instance_reports", "instance_statuses", "instance_follows",
    "instance_followers",
)  # fmt: skip
DIMENSIONS = (
    "languages", "sources", "servers", "space_usage", "software_versions", "tag_servers",
    "tag_languages", "instance_accounts", "instance_languages",
)  # fmt: skip
UNKNOWN_DIMENSIONS = ("sources",)
MAX_DAYS = 366
MAX_ROWS = 100_000


@dataclass
class Measure:
    key: str
    unit: str | None
    total: int
    previous_total: int | None
    data: list[tuple[datetime, int]] = field(default_factory=list)


@dataclass
class Dimension:
    key: str
    data: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Cohort:
    period: datetime
    frequency: str
    data: list[tuple[datetime, float, int]]


def _days(start: datetime, end: datetime) -> list[datetime]:
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if last < first:
        raise InvalidInput("end_at must not be before start_at.")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise InvalidInput(f"At most {MAX_DAYS} days can be asked for at once.")
    return [first + timedelta(days=n) for n in range(count)]


def _by_day(moments: list[datetime]) -> Counter[datetime]:
    return Counter(
        m.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) for m in moments
    )


def _moments(session: Session, column: Any, *where: Any) -> list[datetime]:
    rows = session.execute(select(column).where(*where).limit(MAX_ROWS)).scalars()
    return [row for row in rows if row is not None]


def _tag_name(session: Session, tag_id: Any) -> str | None:
    """The hashtag whose id (the first seven bytes of its name's SHA-256) is `tag_id`."""
    wanted = str(tag_id)
    for name in session.execute(select(PostTag.tag).distinct()).scalars():
        if str(int.from_bytes(hashlib.sha256(name.lower().encode()).digest()[:7], "big")) == wanted:
            return name
    return None


def _on_domain(domain: str) -> Any:
    return func.lower(Account.domain) == domain


def measures(
    session: Session, keys: list[str], options: dict[str, Any], start: datetime, end: datetime
) -> list[Measure]:
    days = _days(start, end)
    low, high = days[0], days[-1] + timedelta(days=1)
    span = high - low
    answer = []
    for key in keys:
        if key not in MEASURES:
            continue  # Mastodon leaves out keys it does not know
        option = options.get(key) or {}
        moments, previous, unit = _measure(session, key, option, low, high, span)
        counted = _by_day(moments)
        if key == "instance_media_attachments":
            counted = Counter()
            for moment, size in _media_bytes(session, option.get("domain"), low, high):
                counted.update({_period_of(moment, "day"): size})
        data = [(day, counted.get(day, 0)) for day in days]
        answer.append(Measure(key, unit, sum(v for _d, v in data), previous, data))
    return answer


def _measure(
    session: Session,
    key: str,
    option: dict[str, Any],
    low: datetime,
    high: datetime,
    span: timedelta,
) -> tuple[list[datetime], int | None, str | None]:
    """The moments of what `key` counts within [low, high), the total of the span before,
    and the unit."""

    def within(column: Any) -> tuple[Any, Any]:
        return column >= low, column < high

    def before(column: Any) -> tuple[Any, Any]:
        return column >= low - span, column < low

    domain = ""
    if key.startswith("instance_"):
        try:
            domain = clean_domain(str(option.get("domain") or ""))
        except InvalidInput:
            return [], 0, None
    if key == "new_users":
        got = _moments(session, User.created_at, *within(User.created_at))
        return got, len(_moments(session, User.created_at, *before(User.created_at))), None
    if key == "active_users":
        return _active(session, low, high), len(_active(session, low - span, low)), None
    if key == "interactions":
        return _interactions(session, low, high), len(_interactions(session, low - span, low)), None
    if key == "opened_reports":
        got = _moments(session, Report.created_at, *within(Report.created_at))
        return got, len(_moments(session, Report.created_at, *before(Report.created_at))), None
    if key == "resolved_reports":
        got = _moments(session, Report.resolved_at, *within(Report.resolved_at))
        return got, len(_moments(session, Report.resolved_at, *before(Report.resolved_at))), None
    if key.startswith("tag_"):
        name = _tag_name(session, option.get("id"))
        if name is None:
            return [], 0, None
        return _tag_measure(session, key, name, low, high), None, None
    if key == "instance_accounts":
        return (
            _moments(session, Account.created_at, _on_domain(domain), *within(Account.created_at)),
            None,
            None,
        )
    if key == "instance_statuses":
        posts = select(Post.created_at).join(Account, Account.id == Post.account_id)
        rows = session.execute(
            posts.where(_on_domain(domain), *within(Post.created_at)).limit(MAX_ROWS)
        ).scalars()
        return list(rows), None, None
    if key == "instance_reports":
        reports = select(Report.created_at).join(Account, Account.id == Report.target_id)
        rows = session.execute(
            reports.where(_on_domain(domain), *within(Report.created_at)).limit(MAX_ROWS)
        ).scalars()
        return list(rows), None, None
    if key in ("instance_follows", "instance_followers"):
        side = Follow.target_id if key == "instance_follows" else Follow.follower_id
        rows = session.execute(
            select(Follow.created_at)
            .join(Account, Account.id == side)
            .where(_on_domain(domain), *within(Follow.created_at))
            .limit(MAX_ROWS)
        ).scalars()
        return list(rows), None, None
    if key == "instance_media_attachments":
        return [], None, "bytes"  # sizes by day are summed below
    return [], None, None


def _active(session: Session, low: datetime, high: datetime) -> list[datetime]:
    """One moment per local account and day it posted, boosted or favourited."""
    seen: set[tuple[int, datetime]] = set()
    for account_id, moment in _active_pairs(session, low, high):
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        seen.add((account_id, day))
    return [day for _account, day in seen]


def _interactions(session: Session, low: datetime, high: datetime) -> list[datetime]:
    """Favourites, boosts and replies of local posts."""
    original = select(Post.id).join(Account, Account.id == Post.account_id)
    local_posts = original.where(Account.domain.is_(None))
    likes = _moments(
        session,
        Favourite.created_at,
        Favourite.post_id.in_(local_posts),
        Favourite.created_at >= low,
        Favourite.created_at < high,
    )
    answers = _moments(
        session,
        Post.created_at,
        (Post.reblog_of_id.in_(local_posts)) | (Post.in_reply_to_id.in_(local_posts)),
        Post.created_at >= low,
        Post.created_at < high,
    )
    return likes + answers


def _tag_measure(
    session: Session, key: str, name: str, low: datetime, high: datetime
) -> list[datetime]:
    rows = session.execute(
        select(Post.created_at, Post.account_id, Account.domain)
        .join(PostTag, PostTag.post_id == Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(PostTag.tag == name.lower(), Post.created_at >= low, Post.created_at < high)
        .limit(MAX_ROWS)
    ).all()
    if key == "tag_uses":
        return [moment for moment, _a, _d in rows]
    seen: dict[tuple[Any, datetime], datetime] = {}
    for moment, account_id, domain in rows:
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        who = account_id if key == "tag_accounts" else domain
        if key == "tag_servers" and domain is None:
            continue
        seen.setdefault((who, day), moment)
    return list(seen.values())


def _media_bytes(
    session: Session, given: Any, low: datetime, high: datetime
) -> list[tuple[datetime, int]]:
    try:
        domain = clean_domain(str(given or ""))
    except InvalidInput:
        return []
    rows = session.execute(
        select(MediaFile.created_at, MediaFile.size)
        .join(Account, Account.id == MediaFile.account_id)
        .where(_on_domain(domain), MediaFile.created_at >= low, MediaFile.created_at < high)
        .limit(MAX_ROWS)
    ).all()
    return [(moment, size) for moment, size in rows]


# --- dimensions --------------------------------------------------------------------------------


def dimensions(
    session: Session,
    keys: list[str],
    options: dict[str, Any],
    start: datetime,
    end: datetime,
    limit: int,
    database: str,
) -> list[Dimension]:
    days = _days(start, end)
    low, high = days[0], days[-1] + timedelta(days=1)
    limit = max(1, min(limit, 100))
    answer = []
    for key in keys:
        if key not in DIMENSIONS:
            continue
        answer.append(
            Dimension(
                key, _dimension(session, key, options.get(key) or {}, low, high, limit, database)
            )
        )
    return answer


def _counted(rows: list[tuple[Any, int]], limit: int, human: Any = None) -> list[dict[str, Any]]:
    ordered = sorted(((k, v) for k, v in rows if k), key=lambda kv: (-kv[1], str(kv[0])))
    return [
        {"key": str(k), "human_key": human(k) if human else str(k), "value": str(v)}
        for k, v in ordered[:limit]
    ]


def _dimension(
    session: Session,
    key: str,
    option: dict[str, Any],
    low: datetime,
    high: datetime,
    limit: int,
    database: str,
) -> list[dict[str, Any]]:
    in_span = (Post.created_at >= low, Post.created_at < high)
    if key == "languages":
        rows = session.execute(
            select(Post.language, func.count())
            .join(Account, Account.id == Post.account_id)
            .where(Account.domain.is_(None), *in_span)
            .group_by(Post.language)
        ).all()
        return _counted([(k, v) for k, v in rows], limit)
    if key == "servers":
        rows = session.execute(
            select(Account.domain, func.count())
            .join(Post, Post.account_id == Account.id)
            .where(Account.domain.is_not(None), *in_span)
            .group_by(Account.domain)
        ).all()
        return _counted([(k, v) for k, v in rows], limit)
    if key == "space_usage":
        total = session.execute(select(func.coalesce(func.sum(MediaFile.size), 0))).scalar() or 0
        return [
            {
                "key": "media",
                "human_key": "Media storage",
                "value": str(total),
                "unit": "bytes",
                "human_value": _human_bytes(int(total)),
            }
        ]
    if key == "software_versions":
        return [
            {"key": "bocage", "human_key": "Bocage", "value": _version()},
            {"key": "python", "human_key": "Python", "value": platform.python_version()},
            {"key": "database", "human_key": database, "value": database},
        ]
    if key in ("tag_servers", "tag_languages"):
        name = _tag_name(session, option.get("id"))
        if name is None:
            return []
        column = Account.domain if key == "tag_servers" else Post.language
        rows = session.execute(
            select(column, func.count())
            .select_from(Post)
            .join(PostTag, PostTag.post_id == Post.id)
            .join(Account, Account.id == Post.account_id)
            .where(PostTag.tag == name.lower(), *in_span)
            .group_by(column)
        ).all()
        return _counted([(k, v) for k, v in rows], limit)
    if key in ("instance_accounts", "instance_languages"):
        try:
            domain = clean_domain(str(option.get("domain") or ""))
        except InvalidInput:
            return []
        if key == "instance_accounts":
            rows = session.execute(
                select(Account.username, Account.followers_count)
                .where(_on_domain(domain))
                .order_by(Account.followers_count.desc())
                .limit(limit)
            ).all()
            return _counted([(k, v) for k, v in rows], limit)
        rows = session.execute(
            select(Post.language, func.count())
            .join(Account, Account.id == Post.account_id)
            .where(_on_domain(domain), *in_span)
            .group_by(Post.language)
        ).all()
        return _counted([(k, v) for k, v in rows], limit)
    return []  # sources: which app made a post is not kept


def _version() -> str:
    try:
        return metadata.version("bocage")
    except metadata.PackageNotFoundError:
        return "unknown"


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return f"{size} B"


# --- retention ---------------------------------------------------------------------------------


def retention(session: Session, start: datetime, end: datetime, frequency: str) -> list[Cohort]:
    """For each period's new local users, the share of them active (posted, boosted or
    favourited) in that period and each one after, up to `end`."""
    if frequency not in ("day", "month"):
        raise InvalidInput("frequency must be day or month.")
    periods = _periods(start, end, frequency)
    if not periods:
        return []
    low, high = periods[0], _next(periods[-1], frequency)
    users = session.execute(
        select(User.account_id, User.created_at).where(
            User.created_at >= low, User.created_at < high
        )
    ).all()
    active: dict[int, set[datetime]] = {}
    for account_id, day in _active_pairs(session, low, high):
        active.setdefault(account_id, set()).add(_period_of(day, frequency))
    answer = []
    for period in periods:
        cohort = [a for a, created in users if _period_of(created, frequency) == period]
        data = []
        for later in periods[periods.index(period) :]:
            value = sum(1 for a in cohort if later in active.get(a, set()))
            rate = value / len(cohort) if cohort else 0.0
            data.append((later, rate, value))
        answer.append(Cohort(period, frequency, data))
    return answer


def _active_pairs(session: Session, low: datetime, high: datetime) -> list[tuple[int, datetime]]:
    """(local account, moment) of each post and favourite between `low` and `high`."""
    rows = session.execute(
        select(Post.account_id, Post.created_at)
        .join(Account, Account.id == Post.account_id)
        .where(Account.domain.is_(None), Post.created_at >= low, Post.created_at < high)
        .limit(MAX_ROWS)
    ).all()
    likes = session.execute(
        select(Favourite.account_id, Favourite.created_at)
        .join(Account, Account.id == Favourite.account_id)
        .where(Account.domain.is_(None), Favourite.created_at >= low, Favourite.created_at < high)
        .limit(MAX_ROWS)
    ).all()
    return [(a, m) for a, m in [*rows, *likes]]


def _period_of(moment: datetime, frequency: str) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.replace(day=1) if frequency == "month" else day


def _next(period: datetime, frequency: str) -> datetime:
    if frequency == "day":
        return period + timedelta(days=1)
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


def _periods(start: datetime, end: datetime, frequency: str) -> list[datetime]:
    first, last = _period_of(start, frequency), _period_of(end, frequency)
    found: list[datetime] = []
    while first <= last and len(found) <= MAX_DAYS:
        found.append(first)
        first = _next(first, frequency)
    return found

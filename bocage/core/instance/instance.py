"""The node as a community: its name, description, rules, registration mode and invites."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bocage.crypto import sealing
from bocage.crypto.keys import RsaKey
from bocage.crypto.sealing import Keyring
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.kernel.ids import lowest_id_at
from bocage.store.models import (
    Account,
    InstanceSetting,
    Invite,
    OAuthToken,
    Post,
    User,
    WebSession,
)
from bocage.store.sql import changed, update_rows
from bocage.store.upsert import insert_ignore

REGISTRATION_MODES = {
    "open": "Anyone can sign up",
    "approval": "Anyone can ask; an admin approves each sign-up",
    "invite": "Only people with an invite link can sign up",
    "closed": "Nobody can sign up",
}


MAX_INVITE_USES = 100_000
INSTANCE_KEY = "instance_actor_key"  # an InstanceSetting, never shown in the admin pages


MAX_RULES = 50
MAX_RULE = 500  # characters of a rule's text, and of its hint
DESCRIPTION_CHANGED = "description_updated_at"  # when the about text last changed (ISO 8601)


@dataclass(frozen=True)
class Rule:
    """One of the node's rules, as Mastodon has them: a short text, and a hint that explains
    it. Its id is its place in the list (1 for the first): reports name rules by id."""

    text: str
    hint: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class InstanceInfo:
    name: str = "Bocage"
    description: str = ""
    rules: list[Rule] = field(default_factory=list)
    registration_mode: str = "approval"


def info(session: Session) -> InstanceInfo:
    rows = session.execute(select(InstanceSetting.key, InstanceSetting.value))
    values = {key: value for key, value in rows.all() if key in InstanceInfo.__dataclass_fields__}
    values["rules"] = [_stored_rule(rule) for rule in values.get("rules") or []]
    return InstanceInfo(**values)


def _stored_rule(value: Any) -> Rule:
    """A rule as stored: {"text", "hint"}, or a bare string (rules before hints)."""
    if isinstance(value, dict):
        return Rule(str(value.get("text", "")), str(value.get("hint") or ""))
    return Rule(str(value))


def parse_rules(lines: Sequence[str | Rule]) -> list[Rule]:
    """Rules from the admin's lines: each line is a rule, and a line that starts with `>`
    under a rule is its hint (several such lines make one hint). Blank lines are skipped."""
    found: list[Rule] = []
    for line in lines:
        if isinstance(line, Rule):
            found.append(Rule(line.text.strip(), line.hint.strip()))
            continue
        if not line.strip():
            continue
        if line.lstrip().startswith(">") and found:
            last, more = found[-1], line.lstrip()[1:].strip()
            hint = f"{last.hint} {more}".strip()
            found[-1] = Rule(last.text, hint)
        else:
            found.append(Rule(line.strip()))
    return [rule for rule in found if rule.text]


def description_updated_at(session: Session) -> datetime | None:
    """When the admins last changed the about text; before they ever did, when the node was
    set up (its first account made). None only on a node without accounts."""
    stored = setting(session, DESCRIPTION_CHANGED)
    if stored:
        return datetime.fromisoformat(stored)
    first: datetime | None = session.execute(select(func.min(User.created_at))).scalar_one()
    return first


@dataclass(frozen=True)
class Usage:
    """What NodeInfo publishes about the node's people and posts."""

    users: int
    active_month: int
    active_halfyear: int
    local_posts: int


def usage(session: Session, at: datetime) -> Usage:
    """Counts of approved, unsuspended local users; "active" means posted or signed in."""
    people = (
        select(Account.id, Account.last_status_at, func.max(WebSession.last_seen_at))
        .join(User, User.account_id == Account.id)
        .outerjoin(WebSession, WebSession.user_id == User.id)
        .where(User.approved, ~Account.suspended)
        .group_by(Account.id, Account.last_status_at)
    )
    last_active = [
        max(filter(None, moments), default=None) for _, *moments in session.execute(people)
    ]

    def active_since(days: int) -> int:
        since = at - timedelta(days=days)
        return sum(1 for moment in last_active if moment is not None and moment >= since)

    posts = session.execute(
        select(func.coalesce(func.sum(Account.statuses_count), 0)).where(Account.domain.is_(None))
    ).scalar_one()
    return Usage(len(last_active), active_since(30), active_since(180), int(posts))


@dataclass(frozen=True)
class Week:
    """One week of the node's activity (`/api/v1/instance/activity`)."""

    start: datetime
    statuses: int  # posts written here (boosts included)
    logins: int  # people who signed in on the web or authorized an app
    registrations: int  # accounts made here


def activity(session: Session, at: datetime, weeks: int = 12) -> list[Week]:
    """The last `weeks` weeks, this one first, as Mastodon counts them: week i starts i
    weeks before `at` and counts its first day and the six after it, whole days (UTC)."""
    found = []
    for i in range(weeks):
        start = at - timedelta(weeks=i)
        first_day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        end = first_day + timedelta(days=7)
        statuses = session.execute(
            select(func.count(Post.id))
            .join(Account, Account.id == Post.account_id)
            .where(
                Account.domain.is_(None),
                Post.id >= lowest_id_at(first_day),
                Post.id < lowest_id_at(end),
            )
        ).scalar_one()
        web = select(WebSession.user_id).where(
            WebSession.created_at >= first_day, WebSession.created_at < end
        )
        apps = select(OAuthToken.user_id).where(
            OAuthToken.user_id.is_not(None),
            OAuthToken.created_at >= first_day,
            OAuthToken.created_at < end,
        )
        logins = set(session.execute(web).scalars()) | set(session.execute(apps).scalars())
        registrations = session.execute(
            select(func.count(User.id)).where(User.created_at >= first_day, User.created_at < end)
        ).scalar_one()
        found.append(Week(start, int(statuses), len(logins), int(registrations)))
    return found


def contact_account(session: Session) -> Account | None:
    """Whom people reach about the node: its first admin (Mastodon's contact account)."""
    return session.execute(
        select(Account)
        .join(User, User.account_id == Account.id)
        .where(User.is_admin, ~Account.suspended)
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()


def domain_count(session: Session) -> int:
    """How many other servers this node knows accounts on."""
    found = session.execute(
        select(func.count(func.distinct(Account.domain))).where(Account.domain.is_not(None))
    ).scalar_one()
    return int(found)


def instance_key(session: Session) -> RsaKey | None:
    """The node's own RSA key (its instance actor's), if made yet (`make_instance_key`),
    opened (it is stored sealed: crypto/sealing.py)."""
    stored = session.get(InstanceSetting, INSTANCE_KEY)
    if stored is None:
        return None
    return RsaKey(sealing.open_pem(stored.value["private_pem"]), stored.value["public_pem"])


def make_instance_key(session: Session, ring: Keyring) -> RsaKey:
    """Made on first use, not at start: generating an RSA key takes ~0.1 s. Stored sealed.

    Two first uses at once (two inbox requests, or the web and worker processes) each find
    no key; the first to commit makes the node's key, and the other one reads it: it is not
    an error (on PostgreSQL a plain insert failed the second request with a 500)."""
    key = instance_key(session)
    if key is not None:
        return key
    made = RsaKey.generate()
    value = {"private_pem": ring.seal_pem(made.private_pem), "public_pem": made.public_pem}
    if insert_ignore(session, InstanceSetting, {"key": INSTANCE_KEY, "value": value}):
        return made
    stored = instance_key(session)
    assert stored is not None
    return stored


def update_info(
    session: Session,
    *,
    name: str,
    description: str,
    rules: Sequence[str | Rule],
    registration_mode: str,
) -> InstanceInfo:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("The instance name must be 1 to 100 characters long.")
    if len(description) > 5000:
        raise InvalidInput("The description can be at most 5,000 characters long.")
    if registration_mode not in REGISTRATION_MODES:
        raise InvalidInput(
            f"Unknown registration mode {registration_mode!r}; "
            f"choose one of {', '.join(REGISTRATION_MODES)}."
        )
    parsed = parse_rules(rules)
    too_long = any(len(rule.text) > MAX_RULE or len(rule.hint) > MAX_RULE for rule in parsed)
    if too_long or len(parsed) > MAX_RULES:
        raise InvalidInput(
            f"At most {MAX_RULES} rules, each (and its hint) at most {MAX_RULE} characters long."
        )
    new = InstanceInfo(name, description.strip(), parsed, registration_mode)
    if new.description != info(session).description:
        _put(session, DESCRIPTION_CHANGED, now().isoformat())
    _put(session, "name", new.name)
    _put(session, "description", new.description)
    _put(session, "rules", [{"text": rule.text, "hint": rule.hint} for rule in parsed])
    _put(session, "registration_mode", new.registration_mode)
    return new


def setting(session: Session, key: str, default: Any = None) -> Any:
    """One admin setting's value (JSON), or `default` if it was never set."""
    row = session.get(InstanceSetting, key)
    return default if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    _put(session, key, value)


def _put(session: Session, key: str, value: Any) -> None:
    existing = session.get(InstanceSetting, key)
    if existing is None:
        session.add(InstanceSetting(key=key, value=value))
    else:
        existing.value = value


# --- the one-time link that creates the first admin --------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_admin(session: Session) -> bool:
    return (session.execute(select(User.id).where(User.is_admin).limit(1))).first() is not None


def new_setup_token(session: Session) -> str:
    """A fresh one-time setup token (the previous one, if any, stops working)."""
    token = secrets.token_urlsafe(24)
    _put(session, "setup_token_hash", _token_hash(token))
    return token


def consume_setup_token(session: Session, token: str) -> bool:
    stored = session.get(InstanceSetting, "setup_token_hash")
    if stored is None or not secrets.compare_digest(stored.value or "", _token_hash(token)):
        return False
    if has_admin(session):
        return False
    stored.value = None
    return True


def setup_token_valid(session: Session, token: str) -> bool:
    stored = session.get(InstanceSetting, "setup_token_hash")
    return (
        stored is not None
        and bool(stored.value)
        and secrets.compare_digest(stored.value, _token_hash(token))
        and not has_admin(session)
    )


# --- invites ------------------------------------------------------------------------------


def create_invite(
    session: Session, user: User, *, max_uses: int | None, expires_in: timedelta | None
) -> Invite:
    if max_uses is not None and max_uses < 1:
        raise InvalidInput("An invite must allow at least one use.")
    if max_uses is not None and max_uses > MAX_INVITE_USES:
        raise InvalidInput(f"An invite can allow at most {MAX_INVITE_USES:,} uses.")
    moment = now()
    invite = Invite(
        code=secrets.token_urlsafe(9),
        created_by=user.id,
        created_at=moment,
        expires_at=moment + expires_in if expires_in else None,
        max_uses=max_uses,
        uses=0,
        revoked=False,
    )
    session.add(invite)
    return invite


def invite_usable(invite: Invite | None, at: datetime) -> bool:
    return (
        invite is not None
        and not invite.revoked
        and (invite.expires_at is None or invite.expires_at > at)
        and (invite.max_uses is None or invite.uses < invite.max_uses)
    )


def use_invite(session: Session, code: str) -> Invite:
    refused = InvalidInput("This invite link is not valid (expired, used up or revoked).")
    invite = session.get(Invite, code)
    moment = now()
    if not invite_usable(invite, moment):
        raise refused
    assert invite is not None
    # Check again in the UPDATE itself: two simultaneous sign-ups must not both take the last
    # use (PostgreSQL re-evaluates this WHERE once the other transaction's row lock is gone).
    taken = changed(
        session,
        update_rows(Invite)
        .where(
            Invite.code == code,
            Invite.revoked.is_(False),
            or_(Invite.expires_at.is_(None), Invite.expires_at > moment),
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1),
    )
    if not taken:
        raise refused
    return invite


def list_invites(session: Session, user: User) -> list[Invite]:
    rows = session.execute(
        select(Invite).where(Invite.created_by == user.id).order_by(Invite.created_at.desc())
    )
    return list(rows.scalars())


def revoke_invite(session: Session, user: User, code: str) -> None:
    session.execute(
        update_rows(Invite)
        .where(Invite.code == code, Invite.created_by == user.id)
        .values(revoked=True)
    )

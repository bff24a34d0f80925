"""What moderators do to accounts (Mastodon's admin accounts API): find them by origin,
status, name, domain, e-mail or address; act on one (a warning, marking its media sensitive,
disabling its log-in, silencing, suspending); undo each of those; approve or reject a sign-up;
delete a suspended account's data.

An admin never acts on an admin (themself included): as on Mastodon, a role acts only on
accounts its role overrides, and this node has one staff role. Every action is recorded in the
moderation log (`log.py`) in the same unit of work; the reports an action resolves are
`admin_reports.resolve_for_action`'s.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import Select, delete, exists, false, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.accounts import accounts
from bocage.core.moderation import log
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.store.models import (
    Account,
    AccountModeration,
    Invite,
    Report,
    User,
    WebSession,
)

ACTIONS = ("none", "sensitive", "disable", "silence", "suspend")
STATUSES = ("active", "pending", "disabled", "silenced", "suspended", "sensitized")
ORIGINS = ("local", "remote")
STAFF_ROLE_ID = 2  # Mastodon's default Admin role; everyone else has the "everyone" role (-99)
MAX_LIMIT = 200


@dataclass(frozen=True)
class AdminAccountView:
    account: Account
    user: User | None
    moderation: AccountModeration | None

    @property
    def silenced(self) -> bool:
        return bool(self.moderation and self.moderation.silenced)

    @property
    def sensitized(self) -> bool:
        return bool(self.moderation and self.moderation.sensitized)

    @property
    def disabled(self) -> bool:
        return bool(self.moderation and self.moderation.disabled)


@dataclass(frozen=True)
class AccountFilter:
    """Mastodon's AccountFilter: each given key narrows the list."""

    origin: str | None = None
    status: str | None = None
    staff: bool = False
    role_ids: tuple[int, ...] = ()
    invited_by: int | None = None
    username: str = ""
    display_name: str = ""
    by_domain: str = ""
    email: str = ""
    ip: str = ""


def view(session: Session, account_id: int) -> AdminAccountView:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("Record not found")
    return AdminAccountView(
        account, accounts.user_of(session, account), session.get(AccountModeration, account_id)
    )


def views(session: Session, ids: list[int]) -> dict[int, AdminAccountView]:
    """Several at once (a page of reports' accounts)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Account, User, AccountModeration)
        .outerjoin(User, User.account_id == Account.id)
        .outerjoin(AccountModeration, AccountModeration.account_id == Account.id)
        .where(Account.id.in_(set(ids)))
    ).all()
    return {row[0].id: AdminAccountView(row[0], row[1], row[2]) for row in rows}


def search(
    session: Session,
    wanted: AccountFilter,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[AdminAccountView]:
    """Accounts matching `wanted`, newest first (by id), paged by id as Mastodon pages."""
    query = _filtered(wanted)
    if max_id is not None:
        query = query.where(Account.id < max_id)
    if since_id is not None:
        query = query.where(Account.id > since_id)
    if min_id is not None:
        query = query.where(Account.id > min_id).order_by(Account.id.asc())
    else:
        query = query.order_by(Account.id.desc())
    rows = session.execute(query.limit(max(1, min(limit, MAX_LIMIT)))).all()
    found = [AdminAccountView(row[0], row[1], row[2]) for row in rows]
    found.sort(key=lambda one: -one.account.id)
    return found


def _filtered(wanted: AccountFilter) -> Select[Account, User, AccountModeration]:
    query = (
        select(Account, User, AccountModeration)
        .outerjoin(User, User.account_id == Account.id)
        .outerjoin(AccountModeration, AccountModeration.account_id == Account.id)
    )
    if wanted.origin is not None:
        if wanted.origin not in ORIGINS:
            raise InvalidInput(f"Unknown origin: {wanted.origin}")
        local = wanted.origin == "local"
        query = query.where(Account.domain.is_(None) if local else Account.domain.is_not(None))
    if wanted.status is not None:
        query = query.where(_status(wanted.status))
    if wanted.staff:
        query = query.where(User.is_admin.is_(True))
    if wanted.role_ids:
        roles = set(wanted.role_ids)
        if STAFF_ROLE_ID in roles and -99 not in roles:
            query = query.where(User.is_admin.is_(True))
        elif -99 in roles and STAFF_ROLE_ID not in roles:
            query = query.where(User.is_admin.is_(False))
        elif STAFF_ROLE_ID not in roles:
            query = query.where(false())
    if wanted.invited_by is not None:
        query = query.where(
            exists().where(
                Invite.code == User.invite_code,
                Invite.created_by
                == select(User.id).where(User.account_id == wanted.invited_by).scalar_subquery(),
            )
        )
    if wanted.username.strip():
        prefix = wanted.username.strip().lower()
        query = query.where(func.lower(Account.username).startswith(prefix, autoescape=True))
    if wanted.display_name.strip():
        part = wanted.display_name.strip().lower()
        query = query.where(func.lower(Account.display_name).contains(part, autoescape=True))
    if wanted.by_domain.strip():
        query = query.where(func.lower(Account.domain) == wanted.by_domain.strip().lower())
    if wanted.email.strip():
        query = query.where(User.email.startswith(wanted.email.strip().lower(), autoescape=True))
    if wanted.ip.strip():
        query = query.where(_from_address(wanted.ip.strip()))
    return query


def _status(status: str) -> ColumnElement[bool]:
    match status:
        case "active":
            return Account.suspended.is_(False)
        case "pending":
            return User.approved.is_(False)
        case "suspended":
            return Account.suspended.is_(True)
        case "disabled":
            return (AccountModeration.disabled.is_(True)) & Account.suspended.is_(False)
        case "silenced":
            return AccountModeration.silenced.is_(True)
        case "sensitized":
            return AccountModeration.sensitized.is_(True)
    raise InvalidInput(f"Unknown status: {status}")


def _from_address(value: str) -> ColumnElement[bool]:
    """Users who signed up from `value` (an address, or a range in CIDR notation)."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return false()  # Mastodon: an address that is not one matches nobody
    if network.num_addresses == 1:
        return AccountModeration.sign_up_ip == str(network.network_address)
    return _in_network_sql(network)


def _in_network_sql(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> ColumnElement[bool]:
    # Plain prefixes for the common /8, /16, /24 IPv4 ranges; otherwise every address in
    # the range of at most 256 is listed.
    if network.version == 4 and network.prefixlen in (8, 16, 24):
        octets = str(network.network_address).split(".")[: network.prefixlen // 8]
        return AccountModeration.sign_up_ip.startswith(".".join(octets) + ".")
    if network.num_addresses <= 256:
        return AccountModeration.sign_up_ip.in_([str(one) for one in network])
    raise InvalidInput(
        "Only single addresses, /8, /16 and /24 ranges or ranges of at most 256 addresses "
        "can be searched."
    )


# --- acting on an account ------------------------------------------------------------------


def _moderation(session: Session, account_id: int) -> AccountModeration:
    row = session.get(AccountModeration, account_id)
    if row is None:
        row = AccountModeration(
            account_id=account_id,
            silenced=False,
            sensitized=False,
            disabled=False,
            updated_at=now(),
        )
        session.add(row)
    return row


def _overrides(actor: Account, target: AdminAccountView) -> None:
    """An admin acts on people, never on an admin (themself included)."""
    if target.account.id == actor.id:
        raise Forbidden("You cannot do this to your own account.")
    if target.user is not None and target.user.is_admin:
        raise Forbidden("This account is an admin's: remove the admin role first.")


def act(
    session: Session,
    actor: Account,
    account_id: int,
    action: str,
    *,
    report_id: int | None = None,
    text: str = "",
    warning_preset_id: str | None = None,
    send_email_notification: bool = False,
) -> None:
    """`POST /api/v1/admin/accounts/:id/action`."""
    if action not in ACTIONS:
        raise InvalidInput(
            f"Validation failed: Type is not included in the list ({', '.join(ACTIONS)})"
        )
    target = view(session, account_id)
    _overrides(actor, target)
    if report_id is not None and session.get(Report, report_id) is None:
        raise NotFound("Record not found")
    if action == "disable":
        if target.user is None:
            raise InvalidInput("Only a local account's log-in can be disabled.")
        _moderation(session, account_id).disabled = True
        session.execute(delete(WebSession).where(WebSession.user_id == target.user.id))
        events.emit(session, "account.suspended", account_id=account_id)  # tokens re-read
    elif action == "sensitive":
        _moderation(session, account_id).sensitized = True
    elif action == "silence":
        _moderation(session, account_id).silenced = True
    elif action == "suspend":
        _suspend(session, target, True)
    log.record(
        session,
        actor.id,
        "warn" if action == "none" else action,
        "account",
        account_id,
        report_id=report_id,
        text=text.strip()[:5000] or None,
        warning_preset_id=warning_preset_id,
    )


def _suspend(session: Session, target: AdminAccountView, suspended: bool) -> None:
    account = target.account
    account.suspended = suspended
    if suspended:
        if target.user is not None:
            session.execute(delete(WebSession).where(WebSession.user_id == target.user.id))
        events.emit(session, "account.suspended", account_id=account.id)


def enable(session: Session, actor: Account, account_id: int) -> AdminAccountView:
    target = _local(session, account_id)
    if target.disabled:
        _moderation(session, account_id).disabled = False
        log.record(session, actor.id, "enable", "user", account_id)
    return view(session, account_id)


def approve(session: Session, actor: Account, account_id: int) -> AdminAccountView:
    target = _local(session, account_id)
    assert target.user is not None
    if target.user.approved:
        raise Forbidden("This account is not waiting for approval.")
    target.user.approved = True
    log.record(session, actor.id, "approve", "user", account_id)
    return view(session, account_id)


def reject(session: Session, actor: Account, account_id: int) -> None:
    """A pending sign-up is removed (its name and address free again)."""
    target = _local(session, account_id)
    assert target.user is not None
    if target.user.approved:
        raise Forbidden("This account is not waiting for approval.")
    log.record(session, actor.id, "reject", "user", account_id, username=target.account.username)
    session.delete(target.account)


def _local(session: Session, account_id: int) -> AdminAccountView:
    """Mastodon's `require_local_account!`: 403 for a remote account."""
    target = view(session, account_id)
    if target.account.domain is not None or target.user is None:
        raise Forbidden("This is not a local account.")
    return target


def undo(session: Session, actor: Account, account_id: int, what: str) -> AdminAccountView:
    """`unsilence`, `unsuspend` or `unsensitive`."""
    target = view(session, account_id)
    if what == "unsuspend":
        if target.account.id == actor.id:
            raise Forbidden("You cannot do this to your own account.")
        _suspend(session, target, False)
        log.record(session, actor.id, what, "account", account_id)
    elif target.moderation is not None:
        flag = {"unsilence": "silenced", "unsensitive": "sensitized"}[what]
        if getattr(target.moderation, flag):
            setattr(target.moderation, flag, False)
            target.moderation.updated_at = now()
            log.record(session, actor.id, what, "account", account_id)
    return view(session, account_id)


def delete_data(session: Session, actor: Account, account_id: int) -> None:
    """`DELETE /api/v1/admin/accounts/:id`: only a suspended account's data is deleted, as
    on Mastodon (suspend first, then delete)."""
    target = view(session, account_id)
    _overrides(actor, target)
    if not target.account.suspended:
        raise Forbidden("Only a suspended account's data can be deleted: suspend it first.")
    log.record(
        session,
        actor.id,
        "destroy",
        "account",
        account_id,
        acct=target.account.username
        + (f"@{target.account.domain}" if target.account.domain else ""),
    )
    session.delete(target.account)


def record_sign_up_address(session: Session, account_id: int, address: str | None) -> None:
    """Remember where a sign-up came from (the `ip` an admin may search by)."""
    if address:
        _moderation(session, account_id).sign_up_ip = address[:64]


def is_disabled_or_silenced(session: Session, account_id: int) -> tuple[bool, bool]:
    row = session.get(AccountModeration, account_id)
    return (bool(row and row.disabled), bool(row and row.silenced))

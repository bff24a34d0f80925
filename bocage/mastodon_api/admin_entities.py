"""The admin API's JSON shapes (docs.joinmastodon.org/entities/Admin_*): Admin::Account,
Admin::Report, domain blocks and allows, e-mail and IP blocks, measures, dimensions and
retention cohorts. Kept apart from `entities.py`, which the rest of the API renders with."""

from __future__ import annotations

from typing import Any

from bocage.core.instance.languages import INTERFACE_LOCALE
from bocage.core.moderation.accounts import STAFF_ROLE_ID, AdminAccountView
from bocage.core.moderation.admin_domains import domain_id
from bocage.core.moderation.signup_blocks import EmailDomainBlockView
from bocage.kernel.context import Context
from bocage.mastodon_api.entities import account as account_entity
from bocage.mastodon_api.entities import tag as tag_entity
from bocage.mastodon_api.entities import timestamp
from bocage.store.models import (
    CanonicalEmailBlock,
    DomainAllow,
    DomainBlock,
    IpBlock,
)

STAFF_ROLE = {
    "id": str(STAFF_ROLE_ID),
    "name": "Admin",
    "color": "",
    "permissions": "1",  # Mastodon's `administrator` flag: every permission
    "highlighted": True,
}
EVERYONE_ROLE = {
    "id": "-99",
    "name": "",
    "color": "",
    "permissions": "65536",  # invite_users
    "highlighted": False,
}


def admin_account(ctx: Context, view: AdminAccountView) -> dict[str, Any]:
    account, user = view.account, view.user
    ip = view.moderation.sign_up_ip if view.moderation else None
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": account.domain,
        "created_at": timestamp(account.created_at),
        "email": user.email if user else None,
        "ip": ip,
        "ips": [{"ip": ip, "used_at": timestamp(user.created_at)}] if ip and user else [],
        "role": (STAFF_ROLE if user.is_admin else EVERYONE_ROLE) if user else None,
        "confirmed": user is not None,  # this node asks no e-mail confirmation
        "suspended": bool(account.suspended),
        "silenced": view.silenced,
        "sensitized": view.sensitized,
        "disabled": view.disabled,
        "approved": bool(user.approved) if user else True,
        "locale": INTERFACE_LOCALE if user else None,
        "invite_request": (user.signup_reason or None) if user else None,
        "created_by_application_id": None,
        "invited_by_account_id": None,
        "account": account_entity(ctx, account),
    }


def domain_block(row: DomainBlock | Any) -> dict[str, Any]:
    """A domain block (`row`: a `DomainBlock`, or a copy with the same attributes)."""
    return {
        "id": str(domain_id(row.domain)),
        "domain": row.domain,
        "digest": _digest(row.domain),
        "created_at": timestamp(row.created_at),
        "severity": row.severity,
        "reject_media": bool(row.reject_media),
        "reject_reports": bool(row.reject_reports),
        "private_comment": row.comment or None,
        "public_comment": row.public_comment or None,
        "obfuscate": bool(row.obfuscate),
    }


def _digest(domain: str) -> str:
    import hashlib

    return hashlib.sha256(domain.encode()).hexdigest()


def domain_allow(row: DomainAllow) -> dict[str, Any]:
    return {
        "id": str(domain_id(row.domain)),
        "domain": row.domain,
        "created_at": timestamp(row.created_at),
    }


def email_domain_block(view: EmailDomainBlockView) -> dict[str, Any]:
    row = view.block
    return {
        "id": str(row.id),
        "domain": row.domain,
        "created_at": timestamp(row.created_at),
        "history": [
            {"day": str(int(day.timestamp())), "accounts": str(accounts), "uses": str(uses)}
            for day, accounts, uses in view.history
        ],
    }


def canonical_email_block(row: CanonicalEmailBlock) -> dict[str, Any]:
    return {"id": str(row.id), "canonical_email_hash": row.canonical_email_hash}


def ip_block(row: IpBlock) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "ip": row.ip,
        "severity": row.severity,
        "comment": row.comment,
        "created_at": timestamp(row.created_at),
        "expires_at": timestamp(row.expires_at) if row.expires_at else None,
    }


def admin_tag(
    ctx: Context, name: str, history: list[Any], trendable: bool, review: bool
) -> dict[str, Any]:
    return {
        **tag_entity(ctx, name, history),
        "trendable": trendable,
        "usable": True,
        "requires_review": review,
        "listable": True,
    }

"""Domain blocks, as the admin sets them: a block's severity and options, and what a
suspension does at once: the domain's accounts are hidden, and every follow between them and
this node's people ends (as on Mastodon; nothing would flow anyway). Lifting a suspension
shows the accounts again; the follows stay ended.

The rules a block makes (who is refused, silenced, has media rejected) are read from
`core/instance/domains.py` by every domain below this one; this module is above the graph,
whose follows it ends.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.graph import graph
from bocage.core.instance.domains import SEVERITIES, clean_domain
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.store.models import Account, DomainBlock, Follow


def block(
    session: Session,
    domain: str,
    severity: str,
    *,
    reject_media: bool = False,
    reject_reports: bool = False,
    comment: str = "",
    public_comment: str = "",
) -> DomainBlock:
    if severity not in SEVERITIES:
        raise InvalidInput(f"Unknown severity {severity!r}; choose one of {', '.join(SEVERITIES)}.")
    domain = clean_domain(domain)
    row = session.get(DomainBlock, domain) or DomainBlock(domain=domain, created_at=now())
    row.severity = severity
    row.reject_media = reject_media
    row.reject_reports = reject_reports
    row.comment = comment.strip()[:1000]
    row.public_comment = public_comment.strip()[:1000]
    session.add(row)
    _suspend_accounts(session, domain, severity == "suspend")
    return row


def unblock(session: Session, domain: str) -> None:
    row = session.get(DomainBlock, clean_domain(domain))
    if row is None:
        raise NotFound("That domain is not blocked.")
    if row.severity == "suspend":
        _suspend_accounts(session, row.domain, False)
    session.delete(row)


def _suspend_accounts(session: Session, domain: str, suspended: bool) -> None:
    """Hide (or show again) the domain's accounts; a suspension also ends every follow
    between them and this node's people, as on Mastodon (nothing would flow anyway)."""
    ids = list(session.execute(select(Account.id).where(_on_domain(domain))).scalars())
    if not ids:
        return
    session.execute(update(Account).where(Account.id.in_(ids)).values(suspended=suspended))
    if suspended:
        follows = session.execute(
            select(Follow).where(Follow.follower_id.in_(ids) | Follow.target_id.in_(ids))
        ).scalars()
        for row in list(follows):
            graph.remove_follow(session, row)


def _on_domain(domain: str) -> ColumnElement[bool]:
    """Accounts on `domain` or its subdomains (any port, unless the block names one)."""
    if ":" in domain:
        return Account.domain == domain
    return or_(
        Account.domain == domain,
        Account.domain.like(f"%.{domain}"),
        Account.domain.like(f"{domain}:%"),
        Account.domain.like(f"%.{domain}:%"),
    )

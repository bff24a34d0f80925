"""Domain blocks and allows as the admin API shows them (Mastodon's `/api/v1/admin/
domain_blocks` and `domain_allows`), over the node's one set of domain rules
(`core/instance/domains.py`, changed through `domain_blocks.py`).

Those rules are keyed by domain; the API's ids are derived from the domain (the first seven
bytes of its SHA-256, as hashtags' ids are): stable, the same on every process, and an id
names one domain. Every change is recorded in the moderation log."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.instance import domains
from bocage.core.instance.domains import SEVERITIES, clean_domain
from bocage.core.moderation import domain_blocks, log
from bocage.kernel.errors import Conflict, InvalidInput, NotFound
from bocage.store.models import Account, DomainAllow, DomainBlock

MAX_LIMIT = 200


def domain_id(domain: str) -> int:
    return int.from_bytes(hashlib.sha256(domain.lower().encode()).digest()[:7], "big")


def _page(
    rows: list[DomainBlock] | list[DomainAllow],
    max_id: int | None,
    min_id: int | None,
    since_id: int | None,
    limit: int,
) -> list[str]:
    """The domains of a page, by their ids, newest... (by id) first."""
    ids = sorted(((domain_id(row.domain), row.domain) for row in rows), reverse=True)
    if max_id is not None:
        ids = [pair for pair in ids if pair[0] < max_id]
    if since_id is not None:
        ids = [pair for pair in ids if pair[0] > since_id]
    limit = max(1, min(limit, MAX_LIMIT))
    if min_id is not None:
        ids = [pair for pair in ids if pair[0] > min_id][-limit:]
    return [domain for _id, domain in ids[:limit]]


# --- blocks ---------------------------------------------------------------------------------


def blocks(
    session: Session,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[DomainBlock]:
    rows = list(session.execute(select(DomainBlock)).scalars())
    by_domain = {row.domain: row for row in rows}
    return [by_domain[d] for d in _page(rows, max_id, min_id, since_id, limit)]


def block(session: Session, block_id: int) -> DomainBlock:
    for row in session.execute(select(DomainBlock)).scalars():
        if domain_id(row.domain) == block_id:
            return row
    raise NotFound("Record not found")


class ExistingBlock(Conflict):
    """A stricter or equal block already covers the domain (Mastodon answers 422 with it)."""

    status = 422

    def __init__(self, existing: DomainBlock) -> None:
        super().__init__(f"A domain block for {existing.domain} already exists: change it instead.")
        # A copy: the unit of work that raised this rolls back, and its rows with it.
        self.existing = SimpleNamespace(
            domain=existing.domain,
            severity=existing.severity,
            reject_media=existing.reject_media,
            reject_reports=existing.reject_reports,
            comment=existing.comment,
            public_comment=existing.public_comment,
            obfuscate=existing.obfuscate,
            created_at=existing.created_at,
        )


def create_block(
    session: Session,
    actor: Account,
    domain: str,
    *,
    severity: str = "silence",
    reject_media: bool = False,
    reject_reports: bool = False,
    private_comment: str = "",
    public_comment: str = "",
    obfuscate: bool = False,
) -> DomainBlock:
    if not domain.strip():
        raise InvalidInput("Validation failed: Domain can't be blank")
    if severity not in SEVERITIES:
        raise InvalidInput(
            f"Validation failed: Severity is not included in the list ({', '.join(SEVERITIES)})"
        )
    cleaned = clean_domain(domain)
    existing = domains.rules(session).block_for(cleaned)
    if existing is not None and _at_least(existing, severity, reject_media, reject_reports):
        raise ExistingBlock(session.get(DomainBlock, existing.domain) or existing)
    row = domain_blocks.block(
        session,
        cleaned,
        severity,
        reject_media=reject_media,
        reject_reports=reject_reports,
        comment=private_comment,
    )
    row.public_comment = public_comment.strip()[:1000]
    row.obfuscate = obfuscate
    log.record(session, actor.id, "create", "domain_block", cleaned, severity=severity)
    return row


def _at_least(existing: DomainBlock, severity: str, media: bool, reports: bool) -> bool:
    """Mastodon's `conflicts_with_existing_block?`: the existing block is as strict."""
    if existing.severity == "suspend":
        return True
    order = {"noop": 0, "silence": 1, "suspend": 2}
    return (
        order[existing.severity] >= order[severity]
        and (existing.reject_media or not media)
        and (existing.reject_reports or not reports)
    )


def update_block(
    session: Session,
    actor: Account,
    block_id: int,
    *,
    severity: str | None = None,
    reject_media: bool | None = None,
    reject_reports: bool | None = None,
    private_comment: str | None = None,
    public_comment: str | None = None,
    obfuscate: bool | None = None,
) -> DomainBlock:
    row = block(session, block_id)
    if severity is not None and severity not in SEVERITIES:
        raise InvalidInput(
            f"Validation failed: Severity is not included in the list ({', '.join(SEVERITIES)})"
        )
    public, hidden = row.public_comment, row.obfuscate
    row = domain_blocks.block(
        session,
        row.domain,
        severity or row.severity,
        reject_media=row.reject_media if reject_media is None else reject_media,
        reject_reports=row.reject_reports if reject_reports is None else reject_reports,
        comment=row.comment if private_comment is None else private_comment,
    )
    row.public_comment = public if public_comment is None else public_comment.strip()[:1000]
    row.obfuscate = hidden if obfuscate is None else obfuscate
    log.record(session, actor.id, "update", "domain_block", row.domain, severity=row.severity)
    return row


def delete_block(session: Session, actor: Account, block_id: int) -> None:
    row = block(session, block_id)
    log.record(session, actor.id, "destroy", "domain_block", row.domain)
    domain_blocks.unblock(session, row.domain)


# --- allows ---------------------------------------------------------------------------------


def allows(
    session: Session,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[DomainAllow]:
    rows = list(session.execute(select(DomainAllow)).scalars())
    by_domain = {row.domain: row for row in rows}
    return [by_domain[d] for d in _page(rows, max_id, min_id, since_id, limit)]


def allow(session: Session, allow_id: int) -> DomainAllow:
    for row in session.execute(select(DomainAllow)).scalars():
        if domain_id(row.domain) == allow_id:
            return row
    raise NotFound("Record not found")


def create_allow(session: Session, actor: Account, domain: str) -> DomainAllow:
    """An allow already there is answered as it is (Mastodon's `DomainAllow.find_or_create`)."""
    if not domain.strip():
        raise InvalidInput("Validation failed: Domain can't be blank")
    cleaned = clean_domain(domain)
    row = session.get(DomainAllow, cleaned)
    if row is None:
        domains.allow(session, cleaned)
        session.flush()
        row = session.get(DomainAllow, cleaned)
        log.record(session, actor.id, "create", "domain_allow", cleaned)
    assert row is not None
    return row


def delete_allow(session: Session, actor: Account, allow_id: int) -> None:
    row = allow(session, allow_id)
    log.record(session, actor.id, "destroy", "domain_allow", row.domain)
    domains.disallow(session, row.domain)

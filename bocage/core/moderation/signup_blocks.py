"""Who may not sign up, or reach the node at all (Mastodon's e-mail domain blocks, canonical
e-mail blocks and IP blocks), and the verdict a sign-up gets from them.

- An e-mail domain block refuses addresses at that domain and its subdomains.
- A canonical e-mail block refuses one address however it is spelled: Mastodon's canonical
  form is the address in lower case, with the dots of its local part removed and anything after
  a `+` dropped; the block keeps only that form's SHA-256.
- An IP block names an address or a range (CIDR): `sign_up_requires_approval` (sign-ups from
  there wait for an admin whatever the registration mode), `sign_up_block` (refused), or
  `no_access` (every request refused, `IpRules.denies`); until it expires, if it does.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.instance.domains import clean_domain
from bocage.core.moderation import log
from bocage.kernel.clock import now
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, CanonicalEmailBlock, EmailDomainBlock, IpBlock, User

IP_SEVERITIES = ("sign_up_requires_approval", "sign_up_block", "no_access")
REFUSED = "This e-mail address cannot be used to sign up on this server."
MAX_LIMIT = 200

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def canonical_email(address: str) -> str:
    username, _, domain = address.lower().partition("@")
    username = username.replace(".", "").split("+", 1)[0]
    return f"{username}@{domain}"


def canonical_email_hash(address: str) -> str:
    return hashlib.sha256(canonical_email(address).encode()).hexdigest()


def _paged(
    query: Select[Any],
    column: Any,
    max_id: int | None,
    min_id: int | None,
    since_id: int | None,
    limit: int,
) -> Select[Any]:
    """Paged by id as Mastodon pages: newest first, or just above `min_id`."""
    if max_id is not None:
        query = query.where(column < max_id)
    if since_id is not None:
        query = query.where(column > since_id)
    if min_id is not None:
        query = query.where(column > min_id).order_by(column.asc())
    else:
        query = query.order_by(column.desc())
    return query.limit(max(1, min(limit, MAX_LIMIT)))


# --- e-mail domain blocks ------------------------------------------------------------------


HISTORY_DAYS = 7


@dataclass(frozen=True)
class EmailDomainBlockView:
    """A block with its week (newest day first): the accounts made that day with an address
    at the domain (`uses`: the same count; refused attempts are not recorded)."""

    block: EmailDomainBlock
    history: list[tuple[datetime, int, int]]


def email_domain_blocks(
    session: Session,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[EmailDomainBlockView]:
    query = _paged(select(EmailDomainBlock), EmailDomainBlock.id, max_id, min_id, since_id, limit)
    rows: list[EmailDomainBlock] = list(session.execute(query).scalars())
    return [_with_history(session, row) for row in sorted(rows, key=lambda row: -row.id)]


def email_domain_block(session: Session, block_id: int) -> EmailDomainBlockView:
    row = session.get(EmailDomainBlock, block_id)
    if row is None:
        raise NotFound("Record not found")
    return _with_history(session, row)


def _with_history(session: Session, row: EmailDomainBlock) -> EmailDomainBlockView:
    today = now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=HISTORY_DAYS - 1)
    made = session.execute(
        select(User.created_at).where(
            User.created_at >= since,
            or_(User.email.endswith(f"@{row.domain}"), User.email.endswith(f".{row.domain}")),
        )
    ).scalars()
    counted = Counter(
        m.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) for m in made
    )
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS)]
    return EmailDomainBlockView(row, [(day, counted[day], counted[day]) for day in days])


def block_email_domain(session: Session, actor: Account, domain: str) -> EmailDomainBlockView:
    if not domain.strip():
        raise InvalidInput("Validation failed: Domain can't be blank")
    try:
        domain = clean_domain(domain)
    except InvalidInput as refused:
        raise InvalidInput(f"Validation failed: Domain {refused.message}") from None
    if session.execute(select(EmailDomainBlock).where(EmailDomainBlock.domain == domain)).first():
        raise InvalidInput("Validation failed: Domain has already been taken")
    row = EmailDomainBlock(id=new_id(), domain=domain, created_at=now())
    session.add(row)
    log.record(session, actor.id, "create", "email_domain_block", row.id, domain=domain)
    session.flush()
    return _with_history(session, row)


def unblock_email_domain(session: Session, actor: Account, block_id: int) -> None:
    row = email_domain_block(session, block_id).block
    log.record(session, actor.id, "destroy", "email_domain_block", row.id, domain=row.domain)
    session.delete(row)


def email_domain_blocked(session: Session, address: str) -> bool:
    domain = address.rpartition("@")[2].lower().strip(".")
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    found = select(EmailDomainBlock.id).where(EmailDomainBlock.domain.in_(candidates))
    return session.execute(found).first() is not None


# --- canonical e-mail blocks ----------------------------------------------------------------


def canonical_email_blocks(
    session: Session,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[CanonicalEmailBlock]:
    query = _paged(
        select(CanonicalEmailBlock), CanonicalEmailBlock.id, max_id, min_id, since_id, limit
    )
    rows: list[CanonicalEmailBlock] = list(session.execute(query).scalars())
    return sorted(rows, key=lambda row: -row.id)


def canonical_email_block(session: Session, block_id: int) -> CanonicalEmailBlock:
    row = session.get(CanonicalEmailBlock, block_id)
    if row is None:
        raise NotFound("Record not found")
    return row


def block_canonical_email(
    session: Session, actor: Account, email: str | None, digest: str | None
) -> CanonicalEmailBlock:
    if email:
        digest = canonical_email_hash(email)
    digest = (digest or "").strip().lower()
    if not digest:
        raise InvalidInput("Validation failed: Canonical email hash can't be blank")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput("Validation failed: Canonical email hash is not a SHA-256 digest")
    taken = select(CanonicalEmailBlock).where(CanonicalEmailBlock.canonical_email_hash == digest)
    if session.execute(taken).first():
        raise InvalidInput("Validation failed: Canonical email hash has already been taken")
    holder = None
    if email:
        holder = session.execute(
            select(User.account_id).where(User.email == email.strip().lower())
        ).scalar()
    row = CanonicalEmailBlock(
        id=new_id(), canonical_email_hash=digest, reference_account_id=holder, created_at=now()
    )
    session.add(row)
    log.record(session, actor.id, "create", "canonical_email_block", row.id)
    return row


def unblock_canonical_email(session: Session, actor: Account, block_id: int) -> None:
    row = canonical_email_block(session, block_id)
    log.record(session, actor.id, "destroy", "canonical_email_block", row.id)
    session.delete(row)


def matching_canonical_blocks(session: Session, email: str) -> list[CanonicalEmailBlock]:
    digest = canonical_email_hash(email)
    found = select(CanonicalEmailBlock).where(CanonicalEmailBlock.canonical_email_hash == digest)
    return list(session.execute(found).scalars())


# --- IP blocks --------------------------------------------------------------------------------


def _network(value: str) -> Network:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise InvalidInput("Validation failed: Ip is invalid") from None


def _expiry(expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= 0:
        raise InvalidInput("Validation failed: Expires in must be a positive number of seconds")
    return now() + timedelta(seconds=expires_in)


def ip_blocks(
    session: Session,
    *,
    max_id: int | None = None,
    min_id: int | None = None,
    since_id: int | None = None,
    limit: int = 100,
) -> list[IpBlock]:
    query = _paged(select(IpBlock), IpBlock.id, max_id, min_id, since_id, limit)
    rows: list[IpBlock] = list(session.execute(query).scalars())
    return sorted(rows, key=lambda row: -row.id)


def ip_block(session: Session, block_id: int) -> IpBlock:
    row = session.get(IpBlock, block_id)
    if row is None:
        raise NotFound("Record not found")
    return row


def _check_severity(severity: str) -> None:
    if severity not in IP_SEVERITIES:
        raise InvalidInput(
            f"Validation failed: Severity is not included in the list ({', '.join(IP_SEVERITIES)})"
        )


def block_ip(
    session: Session,
    actor: Account,
    ip: str,
    severity: str,
    comment: str = "",
    expires_in: int | None = None,
) -> IpBlock:
    _check_severity(severity)
    network = str(_network(ip))
    if session.execute(select(IpBlock.id).where(IpBlock.ip == network)).first():
        raise InvalidInput("Validation failed: Ip has already been taken")
    row = IpBlock(
        id=new_id(),
        ip=network,
        severity=severity,
        comment=comment.strip()[:1000],
        created_at=now(),
        expires_at=_expiry(expires_in),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise InvalidInput("Validation failed: Ip has already been taken") from None
    log.record(session, actor.id, "create", "ip_block", row.id, ip=network, severity=severity)
    return row


def update_ip_block(
    session: Session,
    actor: Account,
    block_id: int,
    *,
    ip: str | None = None,
    severity: str | None = None,
    comment: str | None = None,
    expires_in: int | None = None,
) -> IpBlock:
    row = ip_block(session, block_id)
    if ip is not None:
        row.ip = str(_network(ip))
    if severity is not None:
        _check_severity(severity)
        row.severity = severity
    if comment is not None:
        row.comment = comment.strip()[:1000]
    if expires_in is not None:
        row.expires_at = _expiry(expires_in)
    log.record(session, actor.id, "update", "ip_block", row.id, ip=row.ip, severity=row.severity)
    return row


def unblock_ip(session: Session, actor: Account, block_id: int) -> None:
    row = ip_block(session, block_id)
    log.record(session, actor.id, "destroy", "ip_block", row.id, ip=row.ip)
    session.delete(row)


@dataclass(frozen=True)
class IpRules:
    """A snapshot of the IP blocks, cheap to consult on every request."""

    blocks: tuple[tuple[Network, str, datetime | None], ...] = ()

    def severity(self, address: str | None, moment: datetime | None = None) -> str | None:
        """The strongest severity among the live blocks covering `address`."""
        if not address or not self.blocks:
            return None
        try:
            found = ipaddress.ip_address(address)
        except ValueError:
            return None
        moment = moment or now()
        matched = [
            severity
            for network, severity, expires_at in self.blocks
            if found.version == network.version
            and found in network
            and (expires_at is None or expires_at > moment)
        ]
        if not matched:
            return None
        return max(matched, key=IP_SEVERITIES.index)

    def denies(self, address: str | None) -> bool:
        return self.severity(address) == "no_access"


def ip_rules(session: Session) -> IpRules:
    rows = session.execute(select(IpBlock.ip, IpBlock.severity, IpBlock.expires_at)).all()
    return IpRules(tuple((ipaddress.ip_network(ip), sev, exp) for ip, sev, exp in rows))


# --- the sign-up verdict ---------------------------------------------------------------------


def sign_up_verdict(session: Session, email: str, address: str | None) -> bool:
    """Refuses (Forbidden or InvalidInput) a sign-up these blocks forbid; True when it may go
    on but must wait for an admin's approval (an IP block `sign_up_requires_approval`)."""
    severity = ip_rules(session).severity(address)
    if severity in ("sign_up_block", "no_access"):
        raise Forbidden("Sign-ups from your address are not allowed on this server.")
    if email_domain_blocked(session, email) or matching_canonical_blocks(session, email):
        raise InvalidInput(REFUSED, field="email", code="blocked")
    return severity == "sign_up_requires_approval"

"""Which servers this node federates with: the admin's domain blocks and allow-list mode.

A block names a domain and covers its subdomains (blocking `example.com` blocks
`social.example.com`, as on Mastodon); a domain with a port (`127.0.0.4:8000`) matches that
address only. Severities, as Mastodon's:
- `suspend`: nothing from the server is accepted, nothing is sent to it or fetched from it,
  its accounts are hidden everywhere and the follows between them and us end;
- `silence`: its accounts reach only the people here who follow them (no notifications from
  strangers there);
- `noop`: only the options apply: `reject_media` (its posts' attachments and its accounts'
  pictures are not kept) and `reject_reports` (its Flags are ignored).
In allow-list mode, only the allowed servers are federated with at all.

Blocking and unblocking (what a suspension does to accounts and follows) is the admin's
action, in `core/moderation/domain_blocks.py`: it ends follows through the graph, which
reads the rules here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import SQLColumnExpression, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bocage.core.instance import instance
from bocage.kernel.clock import now
from bocage.kernel.errors import InvalidInput
from bocage.store.models import Account, AccountModeration, DomainAllow, DomainBlock

SEVERITIES = ("suspend", "silence", "noop")
MODES = ("open", "allowlist")
MODE_SETTING = "federation_mode"


@dataclass(frozen=True)
class DomainRules:
    """A snapshot of the rules, cheap to consult on every request."""

    mode: str = "open"
    blocks: dict[str, DomainBlock] = field(default_factory=dict)
    allowed: frozenset[str] = frozenset()

    def block_for(self, host: str) -> DomainBlock | None:
        if not self.blocks:
            return None
        return next((self.blocks[d] for d in _candidates(host) if d in self.blocks), None)

    def refuses(self, host: str) -> bool:
        """Nothing goes to or comes from `host`."""
        if self.mode == "allowlist" and not any(d in self.allowed for d in _candidates(host)):
            return True
        block = self.block_for(host)
        return block is not None and block.severity == "suspend"

    def silences(self, host: str) -> bool:
        block = self.block_for(host)
        return block is not None and block.severity == "silence"

    def rejects_media(self, host: str) -> bool:
        block = self.block_for(host)
        return block is not None and (block.reject_media or block.severity == "suspend")

    def rejects_reports(self, host: str) -> bool:
        block = self.block_for(host)
        return block is not None and (block.reject_reports or block.severity == "suspend")


@lru_cache(maxsize=4096)
def _candidates(host: str) -> tuple[str, ...]:
    """`host` itself, then its hostname without a port, then each parent domain. (Cached:
    every incoming activity asks it of its sender's host.)"""
    host = host.lower()
    name = urlsplit(f"//{host}").hostname or host
    labels = name.split(".")
    is_address = labels[-1].isdigit() or ":" in name  # IPv4 or IPv6: no parent domains
    parents = [] if is_address else [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    return tuple(dict.fromkeys([host, name, *parents]))


def is_silenced(session: Session, domain: str) -> bool:
    """One account's server silenced? (A single query, for the notification path.)"""
    found = session.execute(
        select(DomainBlock.domain).where(
            DomainBlock.domain.in_(_candidates(domain)), DomainBlock.severity == "silence"
        )
    )
    return found.first() is not None


def silenced_account(domain: SQLColumnExpression[str | None]) -> ColumnElement[bool]:
    """SQL: true for an account `domain` on a silenced server (or a subdomain of one, on any
    port unless the block names one), as `is_silenced` and `DomainRules` match a host."""
    return exists().where(
        DomainBlock.severity == "silence",
        or_(
            domain == DomainBlock.domain,
            domain.like("%." + DomainBlock.domain),
            domain.like(DomainBlock.domain + ":%"),
            domain.like("%." + DomainBlock.domain + ":%"),
        ),
    )


def silenced_person(account_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """SQL: true for an account a moderator silenced itself (the admin API's `silence`): it
    is held to the same rule as the accounts of a silenced server."""
    return exists().where(
        AccountModeration.account_id == account_id, AccountModeration.silenced.is_(True)
    )


def is_silenced_person(session: Session, account_id: int) -> bool:
    row = session.get(AccountModeration, account_id)
    return row is not None and row.silenced


def rules(session: Session) -> DomainRules:
    mode = instance.setting(session, MODE_SETTING, "open")
    blocks = list(session.execute(select(DomainBlock)).scalars())
    allowed = session.execute(select(DomainAllow.domain)).scalars()
    for block in blocks:
        session.expunge(block)  # a snapshot outlives its session
    return DomainRules(
        mode=mode,
        blocks={block.domain: block for block in blocks},
        allowed=frozenset(allowed),
    )


def peers(session: Session) -> list[str]:
    """The servers this node says it knows (`/api/v1/instance/peers`): the domains of the
    remote accounts it holds, but none the admin blocked, whatever the severity (Mastodon
    leaves out every domain it has a block for; here a block covers its subdomains, as
    everywhere), and in allow-list mode only the allowed ones."""
    known = session.execute(select(Account.domain).where(Account.domain.is_not(None)).distinct())
    found = rules(session)
    return sorted(
        domain
        for domain in map(str, known.scalars())
        if found.block_for(domain) is None and not found.refuses(domain)
    )


# Who may read the node's list of blocked servers (`/api/v1/instance/domain_blocks`) and the
# reasons given: Mastodon's `show_domain_blocks` and `show_domain_blocks_rationale` settings.
DISCLOSURES = ("disabled", "users", "all")
SHOW_BLOCKS = "show_domain_blocks"
SHOW_REASONS = "show_domain_blocks_rationale"
DEFAULT_DISCLOSURE = "users"


@dataclass(frozen=True)
class PublicBlock:
    domain: str
    digest: str  # SHA-256 of the domain, hex: lets anyone check a domain they know
    severity: str
    comment: str | None  # None where the reasons are not shown to this reader


def disclosure(session: Session) -> tuple[str, str]:
    """Who sees the list, and who sees the reasons: "disabled", "users" or "all"."""
    return (
        instance.setting(session, SHOW_BLOCKS, DEFAULT_DISCLOSURE),
        instance.setting(session, SHOW_REASONS, DEFAULT_DISCLOSURE),
    )


def set_disclosure(session: Session, blocks: str, reasons: str) -> None:
    if blocks not in DISCLOSURES or reasons not in DISCLOSURES:
        raise InvalidInput(f"Choose who sees the blocked servers among {', '.join(DISCLOSURES)}.")
    instance.put_setting(session, SHOW_BLOCKS, blocks)
    instance.put_setting(session, SHOW_REASONS, reasons)


def _discloses(setting: str, signed_in: bool) -> bool:
    return setting == "all" or (setting == "users" and signed_in)


def public_blocks(session: Session, signed_in: bool) -> list[PublicBlock] | None:
    """The blocks the node shows (None: not to this reader), as Mastodon lists them: those
    people notice (suspended or silenced servers, and those whose media is rejected), the
    lightest first, then by domain."""
    blocks_to, reasons_to = disclosure(session)
    if not _discloses(blocks_to, signed_in):
        return None
    with_reasons = _discloses(reasons_to, signed_in)
    rows = session.execute(
        select(DomainBlock).where(
            or_(DomainBlock.severity.in_(("suspend", "silence")), DomainBlock.reject_media)
        )
    ).scalars()
    order = {"noop": 0, "silence": 1, "suspend": 2}
    return [
        PublicBlock(
            row.domain,
            hashlib.sha256(row.domain.encode()).hexdigest(),
            row.severity,
            row.public_comment if with_reasons else None,
        )
        for row in sorted(rows, key=lambda row: (order.get(row.severity, 3), row.domain))
    ]


def clean_domain(value: str) -> str:
    """What an admin typed ("https://Example.com/", "@example.com") as a bare domain."""
    value = value.strip().lower().removeprefix("@")
    host = urlsplit(value if "//" in value else f"//{value}").netloc or value
    if not host or "/" in host or " " in host or ("." not in host and ":" not in host):
        raise InvalidInput(f"{value!r} is not a domain name, like example.social.")
    return host


def set_mode(session: Session, mode: str) -> None:
    if mode not in MODES:
        raise InvalidInput(f"Unknown federation mode {mode!r}; choose one of {', '.join(MODES)}.")
    instance.put_setting(session, MODE_SETTING, mode)


def allow(session: Session, domain: str) -> None:
    domain = clean_domain(domain)
    if session.get(DomainAllow, domain) is None:
        session.add(DomainAllow(domain=domain, created_at=now()))


def disallow(session: Session, domain: str) -> None:
    row = session.get(DomainAllow, clean_domain(domain))
    if row is not None:
        session.delete(row)

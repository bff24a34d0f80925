"""A person's own domain blocks (Mastodon's AccountDomainBlock): a server they hide from
themselves. Its accounts' posts leave their timelines and streams (home, lists, public,
hashtag: `visibility.no_domain_block`), its accounts no longer notify them (but those they
follow), their follows with accounts there end, and a follow from there is refused.

Not the admin's domain blocks (`core/moderation/domain_blocks.py`), which act for the node.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bocage.core.graph import graph
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput
from bocage.kernel.ids import new_id
from bocage.store.models import Account, AccountDomainBlock
from bocage.store.upsert import insert_ignore

DEFAULT_PAGE, MAX_PAGE = 100, 200  # Mastodon's BLOCK_LIMIT, and twice it at most
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?$")


def normalized(domain: str, own_domain: str) -> str:
    """A server's name as blocks keep it (lower case, its IDN in ASCII, no trailing dot),
    or `InvalidInput` that says what is wrong with it."""
    given = domain.strip().removesuffix(".")
    if not given:
        raise InvalidInput("Validation failed: Domain can't be blank")
    try:
        host, colon, port = given.partition(":")
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidInput(f"Validation failed: {domain!r} is not a server name") from None
    found = ascii_host + colon + port
    if len(found) > 255 or not DOMAIN_RE.fullmatch(found):
        raise InvalidInput(
            f"Validation failed: {domain!r} is not a server name (such as example.social)"
        )
    if found == own_domain.lower():
        raise InvalidInput("Validation failed: you cannot hide your own server")
    return found


def block(session: Session, ctx: Context, account: Account, domain: str) -> None:
    """Hide `domain` (normalized) from `account`; blocking it again changes nothing."""
    row = {"id": new_id(), "account_id": account.id, "domain": domain, "created_at": now()}
    insert_ignore(session, AccountDomainBlock, row)
    graph.domain_followers_ended(session, ctx, account, domain)


def unblock(session: Session, account: Account, domain: str) -> None:
    session.execute(
        delete(AccountDomainBlock).where(
            AccountDomainBlock.account_id == account.id, AccountDomainBlock.domain == domain
        )
    )


def blocked(session: Session, account_id: int, page: Any) -> list[tuple[int, str]]:
    """A page of the servers `account_id` hides, the latest first, with each block's id."""
    query = select(AccountDomainBlock.id, AccountDomainBlock.domain).where(
        AccountDomainBlock.account_id == account_id
    )
    if page.max_id is not None:
        query = query.where(AccountDomainBlock.id < page.max_id)
    if page.min_id is not None:
        query = query.where(AccountDomainBlock.id > page.min_id)
    rows = session.execute(query.order_by(AccountDomainBlock.id.desc()).limit(page.limit))
    return [(block_id, domain) for block_id, domain in rows.all()]

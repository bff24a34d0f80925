"""Portable identifiers (FEP-ef61): an object `https://home.example/P` authored by the account
whose did:key is `D` is also `ap://D/P`, the same object wherever it is served from (any
gateway serves it at `/.well-known/apgateway/D/P`, docs/protocol.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.store.models import Account

SCHEME = "ap://"


def ap_id(did: str, https_id: str) -> str:
    """The portable form of an object id of the account with `did`."""
    return f"{SCHEME}{did}{urlsplit(https_id).path}"


def split(portable: str) -> tuple[str, str] | None:
    """(did, path) of `ap://did:key:…/path`; None if it is not one."""
    if not portable.startswith(SCHEME + "did:key:"):
        return None
    did, slash, path = portable.removeprefix(SCHEME).partition("/")
    return (did, "/" + path) if slash and path else None


def https_id(session: Session, portable: str) -> str | None:
    """The `https` id of a portable one, when its did belongs to an account known here."""
    parts = split(portable)
    if parts is None:
        return None
    actor = session.scalars(select(Account.uri).where(Account.did == parts[0])).first()
    if actor is None:
        return None
    origin = urlsplit(actor)
    return f"{origin.scheme}://{origin.netloc}{parts[1]}"

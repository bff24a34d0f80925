"""Media that outlive their node (docs/protocol.md, "Media"): a file a post shows is named by
the sha-256 of its bytes, so any node that holds it may serve it and any node that gets it
can check it, whoever served it.

What a node serves by digest is what anyone may see: the attachments of public and unlisted
posts (its own users' uploads and the cached copies of other authors' files), and the cached
avatars and headers of remote accounts. Never a file of a followers-only or direct post, nor
an upload not posted yet, nor a file whose post is gone: to the asker those are simply not
here (404, never 403, so that a request cannot learn that a private file exists).

A node fetches a file from its peers only when it knows the digest its author signed
(`digestMultibase`, inside the author's signed object), so that the bytes can be checked:
a peer whose bytes are not the digest is scored down like one that sends a tampered log
entry (core/replication/peers.py `blame`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.media import serving
from bocage.core.media.remote import RETIRED, SHARED
from bocage.store.models import Account, MediaFile, Post

GATEWAY_PATH = "/.well-known/apgateway/media"  # + "/{sha256}": where every node serves them
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
ROWS_LOOKED_AT = 20  # rows of one digest looked at (the same bytes in several posts)


def is_digest(text: str) -> bool:
    """Whether `text` is a sha-256 as a file is asked by: 64 lowercase hex digits."""
    return SHA256_HEX.match(text) is not None


def public_key_of(session: Session, sha256: str) -> str | None:
    """The storage key of a file with these bytes that anyone may be shown, if this node
    holds one."""
    rows = session.scalars(
        select(MediaFile)
        .where(MediaFile.sha256 == sha256, MediaFile.storage_key.is_not(None))
        .limit(ROWS_LOOKED_AT)
    )
    for row in rows:
        key = row.storage_key
        if key is not None and serving.digest(key) == sha256 and _public(session, row):
            return key
    return None


def _public(session: Session, row: MediaFile) -> bool:
    if row.purpose == RETIRED:
        return False
    owner = session.get(Account, row.account_id)
    if owner is None or owner.suspended:
        return False
    if row.purpose != "attachment":
        return row.remote_url is not None  # a remote account's avatar or header
    post = session.get(Post, row.post_id) if row.post_id is not None else None
    return post is not None and post.visibility in SHARED

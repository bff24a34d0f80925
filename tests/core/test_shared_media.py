"""Which files a node serves by digest to anyone (core/media/shared.py, docs/protocol.md
§3.5): a public or unlisted post's attachments, a remote account's cached avatar; never a
followers-only or direct post's, an upload not posted, a retired file, a suspended author's."""

from __future__ import annotations

import hashlib

import base58
import pytest
from sqlalchemy.orm import Session

from bocage.core.media import remote, shared
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store.models import Account, MediaFile, Post
from tests.core.helpers import remote_user, suspend

AUTHOR = "http://127.0.0.9:9/users/pia"


def digest(n: int) -> str:
    return hashlib.sha256(f"file {n}".encode()).hexdigest()


def a_file(session: Session, author: Account, n: int, *, visibility: str | None = "public",
           purpose: str = "attachment", remote_url: str | None = None) -> None:  # fmt: skip
    """File `n` (its key named by its digest), on a post of `visibility` (None: no post)."""
    post_id = None
    if visibility is not None:
        post = Post(id=new_id(), account_id=author.id, uri=f"{AUTHOR}/statuses/{n}",
                    visibility=visibility, created_at=now())  # fmt: skip
        session.add(post)
        post_id = post.id
    session.add(
        MediaFile(
            id=new_id(), account_id=author.id, post_id=post_id, purpose=purpose, size=10,
            storage_key=f"{digest(n)[:2]}/{digest(n)[2:4]}/{digest(n)}.jpg", sha256=digest(n),
            content_type="image/jpeg", description="", created_at=now(), remote_url=remote_url,
        )
    )  # fmt: skip


def served(node: Node, n: int) -> bool:
    with node.db.snapshot() as session:
        return shared.public_key_of(session, digest(n)) is not None


def test_only_what_anyone_may_see_is_served_by_digest(node: Node) -> None:
    author = remote_user(node, AUTHOR)
    with node.db.transaction() as session:
        a_file(session, author, 1, visibility="public")
        a_file(session, author, 2, visibility="unlisted")
        a_file(session, author, 3, visibility="private")
        a_file(session, author, 4, visibility="direct")
        a_file(session, author, 5, visibility=None)  # an upload never posted
        a_file(session, author, 6, visibility=None, purpose="avatar", remote_url=f"{AUTHOR}/a")
        a_file(session, author, 7, visibility=None, purpose=remote.RETIRED, remote_url="x")
    assert [served(node, n) for n in range(1, 8)] == [True, True, False, False, False, True, False]
    assert not served(node, 99)  # not held at all
    suspend(node, author)
    assert not served(node, 1)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("a" * 64, True), ("A" * 64, False), ("a" * 63, False), ("g" * 64, False), ("", False)],
)
def test_a_file_is_asked_by_64_lowercase_hex_digits(text: str, ok: bool) -> None:
    assert shared.is_digest(text) is ok


def test_a_digest_multibase_names_its_sha256() -> None:
    sha = hashlib.sha256(b"bytes").digest()
    assert remote.sha256_of("z" + base58.b58encode(b"\x12\x20" + sha).decode()) == sha.hex()
    assert remote.sha256_of("z" + base58.b58encode(b"\x13\x20" + sha).decode()) is None
    assert remote.sha256_of("u" + sha.hex()) is None
    assert remote.sha256_of(None) is None

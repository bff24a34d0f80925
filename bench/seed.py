"""Bulk data for benchmarks: authors, posts and follows written with plain batched INSERTs.

Seeding bypasses the core on purpose (signing a million posts would take the whole run);
it writes the same rows the core writes, with realistic sizes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.crypto.keys import IdentityKey
from bocage.kernel.context import Context
from bocage.kernel.ids import new_id
from bocage.store.db import Database
from bocage.store.models import Account, Follow, Post

BATCH = 20_000
YEAR = timedelta(days=365)


def seed_authors(db: Database, count: int, base_url: str) -> list[int]:
    moment = datetime.now(UTC) - YEAR
    ids = [new_id(moment + timedelta(seconds=i)) for i in range(count)]
    rows = [
        {
            "id": account_id,
            "username": f"author{n}",
            "domain": None,
            "display_name": f"Author {n}",
            "note": "",
            "note_source": "",
            "fields": [],
            "locked": False,
            "suspended": False,
            "created_at": moment,
            "uri": f"{base_url}/users/author{n}",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": 0,
            "log_seq": 0,
        }
        for n, account_id in enumerate(ids)
    ]
    _insert(db, Account, rows)
    return ids


def seed_posts(db: Database, authors: list[int], count: int, base_url: str) -> None:
    """`count` posts spread over the last year, each by a random author."""
    start = datetime.now(UTC) - YEAR
    rng = random.Random(7)
    for offset in range(0, count, BATCH):
        rows = []
        for _ in range(min(BATCH, count - offset)):
            created = start + timedelta(seconds=rng.random() * YEAR.total_seconds())
            post_id = new_id(created)
            rows.append(
                {
                    "id": post_id,
                    "account_id": rng.choice(authors),
                    "uri": f"{base_url}/users/x/statuses/{post_id}",
                    "visibility": "public" if rng.random() < 0.9 else "unlisted",
                    "content": "<p>" + "lorem ipsum dolor sit amet " * 4 + "</p>",
                    "source": "lorem ipsum dolor sit amet " * 4,
                    "spoiler_text": "",
                    "created_at": created,
                    "replies_count": 0,
                    "favourites_count": 0,
                    "reblogs_count": 0,
                }
            )
        _insert(db, Post, rows)


def seed_reader(db: Database, ctx: Context, authors: list[int], following: int) -> Account:
    """A real account (keys and all) that follows `following` random authors."""
    form = accounts.Registration("reader", "reader@example.org", "correct horse battery")
    secrets = accounts.make_secrets(form.password)
    with db.transaction() as session:
        user = accounts.register(session, ctx, form, secrets, bypass_mode=True)
        reader = session.get(Account, user.account_id)
        assert reader is not None
    chosen = random.Random(11).sample(authors, following)
    now = datetime.now(UTC)
    rows = [
        {
            "follower_id": reader.id,
            "target_id": target,
            "accepted": True,
            "created_at": now,
            "uri": f"{ctx.urls.base}/follows/{target}",
        }
        for target in chosen
    ]
    _insert(db, Follow, rows)
    fill_home_feed(db, reader.id)
    return reader


def seed_writers(db: Database, ctx: Context, count: int) -> list[int]:
    """`count` real accounts (each with its own identity key) to post concurrently."""
    base = accounts.make_secrets("correct horse battery")
    ids = []
    with db.transaction() as session:
        for n in range(count):
            form = accounts.Registration(f"writer{n}", f"writer{n}@example.org", "unused-pass")
            secrets = accounts.AccountSecrets(IdentityKey.generate(), base.rsa, base.password_hash)
            ids.append(accounts.register(session, ctx, form, secrets, bypass_mode=True).account_id)
    return ids


def fill_home_feed(db: Database, reader_id: int) -> None:
    """What fan-out on write would have written for the reader as those posts arrived."""
    with db.transaction() as session:
        session.execute(
            text(
                "INSERT INTO home_feed (account_id, post_id, author_id) "
                "SELECT :reader, posts.id, posts.account_id FROM posts "
                "JOIN follows ON follows.target_id = posts.account_id "
                "WHERE follows.follower_id = :reader AND posts.visibility != 'direct'"
            ),
            {"reader": reader_id},
        )


def _insert(db: Database, model: type, rows: list[dict[str, object]]) -> None:
    for offset in range(0, len(rows), BATCH):
        with db.transaction() as session:
            _execute(session, model, rows[offset : offset + BATCH])


def _execute(session: Session, model: type, rows: list[dict[str, object]]) -> None:
    session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]

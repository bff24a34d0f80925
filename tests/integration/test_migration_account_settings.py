"""Migration 0025 on a database with mutes and blocks made before it: each gets an id from
its creation time (the API pages them by it, newest first), the accounts keep their row
version triggers, and the new settings start as Mastodon's defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bocage.store import migrate
from tests.integration.test_migrations import empty_url, inspect_db

__all__ = ["empty_url"]  # the fixture, shared with the other migration tests

ACCOUNT = (
    "INSERT INTO accounts (id, username, display_name, note, note_source, fields, locked,"
    " suspended, created_at, uri, followers_count, following_count, statuses_count, log_seq)"
    " VALUES (:id, :name, '', '', '', '[]', false, false, :at, :uri, 0, 0, 0, 0)"
)


def test_mutes_and_blocks_made_before_get_ids_in_their_order(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0024")
    early, late = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)

    def fill(sync: Any) -> None:
        for n in (1, 2, 3):
            sync.execute(text(ACCOUNT), {"id": n, "name": f"u{n}", "at": early,
                                         "uri": f"https://x.example/u{n}"})  # fmt: skip
        for target, at in ((2, late), (3, early)):
            row = {"a": 1, "t": target, "at": at}
            sync.execute(text("INSERT INTO mutes VALUES (:a, :t, :at)"), row)
            sync.execute(
                text("INSERT INTO blocks VALUES (:a, :t, :at, :uri)"), {**row, "uri": f"b{target}"}
            )
        sync.commit()

    inspect_db(empty_url, fill)
    migrate.upgrade(empty_url)

    def read(sync: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for table in ("mutes", "blocks"):
            rows = sync.execute(text(f"SELECT target_id, id FROM {table} ORDER BY id DESC"))
            found[table] = [target for target, _id in rows.all()]
        found["flags"] = sync.execute(
            text("SELECT bot, discoverable, indexable, hide_collections FROM accounts WHERE id = 1")
        ).one()
        found["user columns"] = [
            c["name"] for c in sync.dialect.get_columns(sync, "users")
        ]  # fmt: skip
        sync.execute(text("UPDATE accounts SET note = 'x' WHERE id = 1"))
        found["row_version"] = sync.execute(
            text("SELECT row_version FROM accounts WHERE id = 1")
        ).scalar_one()
        found["mute"] = sync.execute(
            text("SELECT expires_at, hide_notifications FROM mutes WHERE target_id = 2")
        ).one()
        return found

    found = inspect_db(empty_url, read)
    assert found["mutes"] == [2, 3] and found["blocks"] == [2, 3]  # the later first
    assert [bool(flag) for flag in found["flags"]] == [False, False, False, False]
    assert {"default_privacy", "default_sensitive", "default_language"} <= set(
        found["user columns"]
    )
    assert found["row_version"] == 1  # the 0016 trigger is still there
    assert found["mute"][0] is None and bool(found["mute"][1]) is True

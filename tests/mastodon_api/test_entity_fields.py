"""Entity fields of the Mastodon client API as Mastodon's server sends them (the field half of
the coverage checklist, docs/mastodon_api.md): the instance's registration and limit fields,
the caller's `source.attribution_domains`, a scheduled post's `allowed_mentions`, an
Admin::Account's `locale`, announcement reactions as the user stream tells them, and the
checklist's notes on fields.

The node is this module's own (`OWN_NODE`): an announcement changes what everyone sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon

from bocage.core.media.media import MAX_DESCRIPTION
from tests.mastodon_api.coverage_collect import UserStream, WebAdmin, _until, coverage_script
from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_entity_fields")]
OWN_NODE = True
THUMBS_UP = "\N{THUMBS UP SIGN}"
script = coverage_script()


def raw(node: NodeProcess, client: Mastodon) -> httpx.Client:
    """httpx with `client`'s token: the JSON exactly as sent (Mastodon.py's objects fill
    what they do not get with None)."""
    headers = {"Authorization": f"Bearer {client.access_token}"}
    return httpx.Client(base_url=node.url, headers=headers, timeout=20.0)


@pytest.fixture(scope="module")
def alice(api_node: NodeProcess) -> Mastodon:
    return logged_in(api_node, "alice", ["read", "write"])


def test_instance_v2_registrations_and_limits(api_node: NodeProcess) -> None:
    v2 = httpx.get(f"{api_node.url}/api/v2/instance").json()
    check("Instance", v2)
    registrations = v2["registrations"]
    # No minimum age, no reason required, no sign-up page elsewhere: as Mastodon says so.
    assert registrations["reason_required"] is False
    assert registrations["min_age"] is None and "min_age" in registrations
    assert registrations["url"] is None and "url" in registrations
    configuration = v2["configuration"]
    assert configuration["limited_federation"] is False  # the node federates openly
    assert configuration["media_attachments"]["description_limit"] == MAX_DESCRIPTION
    v1 = httpx.get(f"{api_node.url}/api/v1/instance").json()
    assert "limited_federation" not in v1["configuration"]  # Mastodon's v1 has none


def test_credentials_source_and_scheduled_params(api_node: NodeProcess, alice: Mastodon) -> None:
    with raw(api_node, alice) as client:
        mine = client.get("/api/v1/accounts/verify_credentials").json()
        check("CredentialAccount", mine)
        assert mine["source"]["attribution_domains"] == []
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        scheduled = client.post("/api/v1/statuses", data={"status": "Later", "scheduled_at": later})
        assert scheduled.status_code == 200, scheduled.text
        check("ScheduledStatus", scheduled.json())
        params = scheduled.json()["params"]
        assert "allowed_mentions" in params and params["allowed_mentions"] is None
        listed = client.get("/api/v1/scheduled_statuses").json()
        assert listed[0]["params"]["allowed_mentions"] is None


def test_admin_account_locale(api_node: NodeProcess, alice: Mastodon) -> None:
    root = logged_in(api_node, "root", ["read", "admin:read"])
    alice_id = alice.account_verify_credentials().id
    with raw(api_node, root) as client:
        found = client.get(f"/api/v1/admin/accounts/{alice_id}").json()
    check("AdminAccount", found)
    assert found["locale"] == "en"  # the language of the node's pages, e-mails and pushes


@pytest.fixture(scope="module")
def announcement(api_node: NodeProcess, alice: Mastodon) -> Iterator[int]:
    web = WebAdmin(api_node)
    try:
        web.post("/admin/announcements", {"text": "Hedges!"}, page="/admin/announcements")
    finally:
        web.close()
    yield int(alice.announcements()[0].id)


def test_reactions_are_told_on_every_user_stream(
    api_node: NodeProcess, alice: Mastodon, announcement: int
) -> None:
    bob = logged_in(api_node, "bob", ["read", "write"])
    stream = UserStream(api_node, bob.access_token)
    try:
        alice.announcement_reaction_create(announcement, THUMBS_UP)
        bob.announcement_reaction_create(announcement, THUMBS_UP)
        alice.announcement_reaction_delete(announcement, THUMBS_UP)
        heard = _until(lambda: stream.heard("announcement.reaction"), lambda got: len(got) >= 3)
    finally:
        stream.close()
    told = {"name": THUMBS_UP, "announcement_id": str(announcement)}
    assert heard == [{**told, "count": 1}, {**told, "count": 2}, {**told, "count": 1}]
    # A Unicode emoji's reaction has no `url`: Mastodon sends one only for a custom emoji.
    with raw(api_node, bob) as client:
        reactions = client.get("/api/v1/announcements").json()[0]["reactions"]
    assert reactions == [{"name": THUMBS_UP, "count": 1, "me": True}]


def test_a_field_note_covers_only_what_the_node_does_not_send_as_expected() -> None:
    entities = script.read_entities(script.library_dir())
    field = next(f for f in entities["Report"].fields if f.name == "rules_ids")
    note = script.Note("as-mastodon", "Mastodon sends `rule_ids`.")
    missing = script.field_status(field, {"rule_ids": "present"}, None)
    assert (missing.status, missing.covered) == ("missing", False)
    noted = script.field_status(field, {"rule_ids": "present"}, note)
    assert noted.covered and noted.status == "missing, as Mastodon's server sends it"
    assert noted.note == "Mastodon sends `rule_ids`."
    unseen = script.field_status(field, None, script.Note("feature-off", "None here."))
    assert unseen.covered and unseen.status == "not observed, feature off"


def test_notes_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = tmp_path / "notes.toml"
    monkeypatch.setattr(script, "NOTES", notes)
    notes.write_text('[endpoint."GET /api/v1/search"]\nas = "as-mastodon"\nreason = "no"\n')
    with pytest.raises(SystemExit, match="is for fields"):
        script.load_notes()
    notes.write_text('[field."Report.rules_ids"]\nas = "renamed"\nreason = "no"\n')
    with pytest.raises(SystemExit, match="needs `as`"):
        script.load_notes()
    # A note on a field the node sends as Mastodon.py expects is a problem: it is stale.
    notes.write_text('[field."Account.id"]\nas = "feature-off"\nreason = "Stale."\n')
    problems = script.compute().problems
    assert any("Account.id is sent as Mastodon.py expects" in p for p in problems), problems

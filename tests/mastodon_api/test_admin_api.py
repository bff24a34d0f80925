"""The admin API (`/api/v1/admin/*`, `/api/v2/admin/accounts`) through Mastodon.py 2.3.3's
`admin_*` methods against a real node: root is its admin; alice and bob are not. Refusals
(not staff, no admin scope, an admin acting on themself), the moderation actions and their
effects (a disabled account's token stops working, a suspended account's too), reports,
domain rules, e-mail and IP blocks that refuse sign-ups (and every request, for `no_access`),
trend reviews and the dashboard."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonIllegalArgumentError

from tests.addresses import loopback
from tests.federation.helpers import Person, start_node
from tests.mastodon_api.conftest import USERS
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_admin")]
ADMIN = ["read", "write", "admin:read", "admin:write"]


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """A node of this module's own (its tests look at every account, block and trend), on
    an address block of its own."""
    node = start_node(tmp_path_factory.mktemp("admin"), loopback(41, 6), USERS, {})
    try:
        yield node
    finally:
        node.stop()


def _status(error: MastodonAPIError) -> int:
    return int(error.args[1])


def _sign_up(node: NodeProcess, username: str, email: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Sign-up", api_base_url=node.url, scopes=["read", "write"]
    )
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=node.url)
    app.create_account(
        username,
        "long enough password",
        email,
        agreement=True,
        reason="I like hedges",
        scopes=["read", "write"],
    )
    return app


def test_only_staff_with_an_admin_scope(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ADMIN)
    with pytest.raises(MastodonAPIError) as refused:
        alice.admin_accounts_v2()
    assert _status(refused.value) == 403
    with pytest.raises(MastodonAPIError) as refused:
        alice.admin_domain_blocks()
    assert _status(refused.value) == 403
    root_without = logged_in(api_node, "root", ["read", "write"])
    with pytest.raises(MastodonAPIError) as refused:
        root_without.admin_accounts_v2()
    assert _status(refused.value) == 403
    # A granular admin scope carries its area and no other.
    root_accounts = logged_in(api_node, "root", ["read", "admin:read:accounts"])
    assert root_accounts.admin_accounts_v2(origin="local")
    with pytest.raises(MastodonAPIError) as refused:
        root_accounts.admin_ip_blocks()
    assert _status(refused.value) == 403


def test_accounts_listed_and_shown(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    local = root.admin_accounts_v2(origin="local")
    names = {account.username for account in local}
    assert {"alice", "bob", "root"} <= names
    staff = root.admin_accounts_v2(permissions="staff")
    assert [account.username for account in staff] == ["root"]
    assert [a.username for a in root.admin_accounts_v2(username="ali")] == ["alice"]
    # (Mastodon.py types this list as one AdminAccount, so its items stay plain dicts.)
    assert [a["username"] for a in root.admin_accounts_v1(email="bob@")] == ["bob"]
    alice_id = next(account.id for account in local if account.username == "alice")
    alice = root.admin_account(alice_id)
    assert (alice.username, alice.email, alice.domain) == ("alice", "alice@example.org", None)
    assert (alice.suspended, alice.silenced, alice.disabled, alice.approved) == (
        False, False, False, True,
    )  # fmt: skip
    assert alice.account.acct == "alice"
    assert root.admin_account(root.me().id).role.name == "Admin"


def test_moderation_actions_and_their_effects(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    bob = logged_in(api_node, "bob", ["read", "write"])
    bob_id = bob.me().id

    root.admin_account_moderate(bob_id, "silence")
    assert root.admin_account(bob_id).silenced
    assert [a.username for a in root.admin_accounts_v2(status="silenced")] == ["bob"]
    assert not root.admin_account_unsilence(bob_id).silenced

    root.admin_account_moderate(bob_id, "sensitive")
    assert root.admin_account(bob_id).sensitized
    assert not root.admin_account_unsensitive(bob_id).sensitized

    root.admin_account_moderate(bob_id, "disable")
    assert root.admin_account(bob_id).disabled
    with pytest.raises(MastodonAPIError) as refused:
        bob.me()
    assert _status(refused.value) == 401
    with pytest.raises(MastodonIllegalArgumentError):  # nor log in again
        logged_in(api_node, "bob", ["read"])
    assert not root.admin_account_enable(bob_id).disabled
    assert bob.me().username == "bob"

    root.admin_account_moderate(bob_id, "suspend")
    assert root.admin_account(bob_id).suspended
    with pytest.raises(MastodonAPIError) as refused:
        bob.me()
    assert _status(refused.value) == 401
    assert not root.admin_account_unsuspend(bob_id).suspended
    assert bob.me().username == "bob"

    with pytest.raises(MastodonAPIError) as refused:  # not a type Mastodon knows
        root.admin_account_moderate(bob_id, "banish")
    assert _status(refused.value) == 422


def test_an_admin_never_acts_on_themself(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    me = root.me().id
    for action in ("suspend", "silence", "disable", "none"):
        with pytest.raises(MastodonAPIError) as refused:
            root.admin_account_moderate(me, action)
        assert _status(refused.value) == 403
    with pytest.raises(MastodonAPIError) as refused:
        root.admin_account_delete(me)
    assert _status(refused.value) == 403
    assert not root.admin_account(me).suspended


def test_sign_ups_approved_rejected_and_blocked(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    _sign_up(api_node, "carol", "carol@example.org")
    pending = root.admin_accounts_v2(status="pending")
    carol = next(a for a in pending if a.username == "carol")
    assert carol.approved is False and carol.invite_request == "I like hedges"
    assert carol.ip == "127.0.0.1"
    assert root.admin_account_approve(carol.id).approved
    with pytest.raises(MastodonAPIError) as refused:  # only a waiting sign-up
        root.admin_account_reject(carol.id)
    assert _status(refused.value) == 403

    _sign_up(api_node, "dave", "dave@example.org")
    dave = next(a for a in root.admin_accounts_v2(status="pending") if a.username == "dave")
    root.admin_account_reject(dave.id)
    with pytest.raises(MastodonAPIError) as refused:
        root.admin_account(dave.id)
    assert _status(refused.value) == 404

    # An e-mail domain block (and its subdomains) refuses sign-ups.
    block = root.admin_create_email_domain_block("spam.example")
    assert root.admin_email_domain_block(block.id).domain == "spam.example"
    assert block.id in [one.id for one in root.admin_email_domain_blocks()]
    with pytest.raises(MastodonIllegalArgumentError, match="cannot be used to sign up"):
        _sign_up(api_node, "spammer", "x@mail.spam.example")  # Mastodon.py's word for a 422
    root.admin_delete_email_domain_block(block.id)
    assert root.admin_email_domain_blocks() == []  # (sign-ups are 5 per half hour and address)

    # A canonical e-mail block refuses the address however it is spelled.
    canonical = root.admin_create_canonical_email_block(email="Eve.Smith+1@example.net")
    expected = hashlib.sha256(b"evesmith@example.net").hexdigest()
    assert canonical.canonical_email_hash == expected
    tested = root.admin_test_canonical_email_block("evesmith+other@EXAMPLE.net")
    assert [one.id for one in tested] == [canonical.id]
    with pytest.raises(MastodonIllegalArgumentError, match="cannot be used to sign up"):
        _sign_up(api_node, "eve", "e.v.e.smith@example.net")
    root.admin_delete_canonical_email_block(canonical.id)
    assert root.admin_canonical_email_blocks() == []

    # IP blocks: approval wanted, then sign-ups refused, from this address.
    held = root.admin_create_ip_block("127.0.0.0/8", "sign_up_requires_approval", "tests")
    assert (held.ip, held.severity) == ("127.0.0.0/8", "sign_up_requires_approval")
    root.admin_update_ip_block(held.id, severity="sign_up_block")
    assert root.admin_ip_block(held.id).severity == "sign_up_block"
    with pytest.raises(MastodonIllegalArgumentError, match="not allowed"):  # a 403
        _sign_up(api_node, "frank", "frank@example.org")
    root.admin_delete_ip_block(held.id)
    assert root.admin_ip_blocks() == []


def test_no_access_refuses_every_request_from_the_address(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    block = root.admin_create_ip_block("127.0.0.77/32", "no_access")
    shut_out = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.77"))
    try:
        answer = shut_out.get(f"{api_node.url}/api/v1/instance")
        assert answer.status_code == 403
        assert httpx.get(f"{api_node.url}/api/v1/instance").status_code == 200
    finally:
        shut_out.close()
        root.admin_delete_ip_block(block.id)


def test_reports_handled(api_node: NodeProcess) -> None:
    async def report() -> None:
        alice = await Person(api_node, "alice").login()
        try:
            await alice.post("/@bob/report", {"comment": "Rude in replies"})
        finally:
            await alice.close()

    asyncio.run(report())
    root = logged_in(api_node, "root", ADMIN)
    bob_id = next(a.id for a in root.admin_accounts_v2(username="bob"))
    reports = root.admin_reports(target_account_id=bob_id)
    assert len(reports) == 1
    found = reports[0]
    assert (found.comment, found.action_taken, found.target_account.username) == (
        "Rude in replies", False, "bob",
    )  # fmt: skip
    assert root.admin_report_assign(found.id).assigned_account.username == "root"
    assert root.admin_report_unassign(found.id).assigned_account is None
    resolved = root.admin_report_resolve(found.id)
    assert resolved.action_taken and resolved.action_taken_by_account.username == "root"
    assert root.admin_reports(target_account_id=bob_id) == []
    assert [r.id for r in root.admin_reports(resolved=True, target_account_id=bob_id)] == [found.id]
    assert not root.admin_report_reopen(found.id).action_taken
    # A warning given with a report resolves it.
    root.admin_account_moderate(bob_id, None, report_id=found.id, text="Please be kind")
    assert root.admin_report(found.id).action_taken
    assert not root.admin_account(bob_id).suspended


def test_domain_blocks_and_allows(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    block = root.admin_create_domain_block(
        "bad.example", severity="suspend", reject_media=True, public_comment="Spam"
    )
    assert (block.domain, block.severity, block.public_comment) == (
        "bad.example",
        "suspend",
        "Spam",
    )
    assert root.admin_domain_blocks(id=block.id).domain == "bad.example"
    with pytest.raises(MastodonAPIError) as refused:  # already suspended
        root.admin_create_domain_block("bad.example", severity="silence")
    assert _status(refused.value) == 422
    changed = root.admin_update_domain_block(block.id, severity="silence", obfuscate=True)
    assert (changed.severity, changed.obfuscate, changed.reject_media) == ("silence", True, True)
    # The node's one set of rules: the public list of blocks shows it.
    public = httpx.get(f"{api_node.url}/api/v1/instance/domain_blocks")
    if public.status_code == 200:
        assert "bad.example" in public.text or any("b*d" in str(x) for x in public.json())
    root.admin_delete_domain_block(block.id)
    assert root.admin_domain_blocks() == []

    allow = root.admin_create_domain_allow("friends.example")
    assert root.admin_domain_allow(allow.id).domain == "friends.example"
    assert [one.domain for one in root.admin_domain_allows()] == ["friends.example"]
    root.admin_delete_domain_allow(allow.id)
    assert root.admin_domain_allows() == []


def test_trends_reviewed(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    alice = logged_in(api_node, "alice", ["read", "write"])
    alice.status_post("Hedgerows are great #hedgerow", visibility="public")
    tags = root.admin_trending_tags()
    hedgerow = next(tag for tag in tags if tag.name == "hedgerow")
    assert hedgerow.requires_review is True
    assert "hedgerow" in [tag.name for tag in alice.trending_tags()]
    rejected = root.admin_reject_trending_tag(hedgerow.id)
    assert rejected.trendable is False
    assert "hedgerow" not in [tag.name for tag in alice.trending_tags()]
    assert "hedgerow" in [tag.name for tag in root.admin_trending_tags()]
    assert root.admin_approve_trending_tag(hedgerow.id).trendable is True
    assert "hedgerow" in [tag.name for tag in alice.trending_tags()]
    assert root.admin_trending_links() == []

    liked = alice.status_post("Hedges trend", visibility="public")
    root.status_favourite(liked.id)
    assert liked.id in [status.id for status in alice.trending_statuses()]
    assert root.admin_reject_trending_status(liked.id).id == liked.id
    assert liked.id not in [status.id for status in alice.trending_statuses()]
    assert liked.id in [status.id for status in root.admin_trending_statuses()]
    root.admin_approve_trending_status(liked.id)
    assert liked.id in [status.id for status in alice.trending_statuses()]


def test_dashboard(api_node: NodeProcess) -> None:
    root = logged_in(api_node, "root", ADMIN)
    end = datetime.now(UTC)
    start = end - timedelta(days=2)
    measures = root.admin_measures(
        start, end, new_users=True, opened_reports=True, active_users=True, interactions=True
    )
    by_key = {measure.key: measure for measure in measures}
    assert set(by_key) == {"new_users", "opened_reports", "active_users", "interactions"}
    assert int(by_key["new_users"].total) >= 3  # alice, bob, root signed up today
    assert len(by_key["new_users"].data) == 3
    dimensions = root.admin_dimensions(start, end, languages=True, software_versions=True)
    versions = next(d for d in dimensions if d.key == "software_versions")
    assert "bocage" in [entry.key for entry in versions.data]
    cohorts = root.admin_retention(start, end)
    assert len(cohorts) == 3 and cohorts[-1].data[0].value is not None

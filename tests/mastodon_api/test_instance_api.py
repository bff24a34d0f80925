"""The instance slice of the Mastodon client API on a real node, with Mastodon.py and httpx:
the instance's sub-resources (rules with hints, activity, about text, blocked servers,
languages, terms of service), its contact account and URLs, `/health`, announcements,
reports, OAuth's userinfo, annual reports and preferences.

The node is this module's own (`OWN_NODE`): its tests change what the whole node shows
(rules, domain blocks, announcements)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from bocage.core.instance.languages import LANGUAGES
from tests.federation.helpers import CSRF_RE, PASSWORD
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_instance_api")]
OWN_NODE = True


class Admin:
    """root, signed in on the node's web pages (the admin area)."""

    def __init__(self, node: NodeProcess) -> None:
        self.web = httpx.Client(base_url=node.url, timeout=20.0)
        self.post("/login", {"login": "root", "password": PASSWORD}, page="/login")

    def post(self, path: str, data: dict[str, str], page: str = "/about") -> httpx.Response:
        found = CSRF_RE.search(self.web.get(page).text)
        assert found, f"no CSRF field on {page}"
        answer = self.web.post(path, data={**data, "csrf": found[1]})
        assert answer.status_code in (200, 303), f"{path}: {answer.status_code} {answer.text}"
        return answer


@pytest.fixture(scope="module")
def admin(api_node: NodeProcess) -> Iterator[Admin]:
    signed_in = Admin(api_node)
    yield signed_in
    signed_in.web.close()


def token_for(node: NodeProcess, who: str, scopes: str) -> str:
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "t", "scopes": scopes})
    answer = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": scopes,
        },
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def api(node: NodeProcess, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=node.url, headers=headers, timeout=20.0)


def test_rules_about_text_languages_and_what_the_node_publishes(
    api_node: NodeProcess, admin: Admin
) -> None:
    # Before the admins ever wrote one, the about text dates from the node's setup.
    untouched = httpx.get(f"{api_node.url}/api/v1/instance/extended_description").json()
    assert untouched == {"updated_at": untouched["updated_at"], "content": ""}
    assert untouched["updated_at"].endswith("Z")
    admin.post(
        "/admin/instance",
        {
            "name": "Hedgerow",
            "description": "A small node.\n\nBe <nice> & kind.",
            "registration_mode": "approval",
            "rules": "Be kind\n> Assume good faith.\nNo spam",
        },
        page="/admin/instance",
    )
    anonymous = Mastodon(api_base_url=api_node.url)
    rules = anonymous.instance_rules()
    assert [(r.id, r.text, r.hint) for r in rules] == [
        ("1", "Be kind", "Assume good faith."),
        ("2", "No spam", ""),
    ]
    # The admin's page shows the hint back under its rule, so saving again keeps it.
    assert "Be kind\n&gt; Assume good faith.\nNo spam" in admin.web.get("/admin/instance").text

    about = anonymous.instance_extended_description()
    assert about.content == "<p>A small node.</p><p>Be &lt;nice&gt; &amp; kind.</p>"
    assert abs(about.updated_at - datetime.now(UTC)) < timedelta(minutes=5)

    languages = anonymous.instance_languages()
    assert len(languages) == len(LANGUAGES) > 180
    assert {"code": "en", "name": "English"} in languages
    assert {"code": "zh-TW", "name": "Chinese (Taiwan)"} in languages
    assert anonymous.instance_translation_languages() == {}
    assert anonymous.custom_emojis() == []
    assert anonymous.instance_health() is True
    assert httpx.get(f"{api_node.url}/health").text == "OK"

    # No terms of service here: 404, as Mastodon without any.
    for path in (
        "/api/v1/instance/terms_of_service",
        "/api/v1/instance/terms_of_service/2025-01-01",
    ):
        missing = httpx.get(api_node.url + path)
        assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}

    v1, v2 = api(api_node).get("/api/v1/instance").json(), anonymous.instance_v2()
    assert v1["contact_account"]["username"] == "root"  # the first admin, a real Account
    assert v1["contact_account"]["url"].endswith("/@root")
    assert (
        v2.contact.account.acct == "root" and v2.contact.account.id == v1["contact_account"]["id"]
    )
    urls = v2.configuration.urls
    assert urls.about == f"{api_node.url}/about"
    assert (urls.status, urls.privacy_policy, urls.terms_of_service) == (None, None, None)
    assert urls.streaming.startswith("ws")
    assert v2.api_versions["mastodon"] >= 2  # present (its value is another change's)
    assert [rule["hint"] for rule in v1["rules"]] == ["Assume good faith.", ""]
    assert v1["rules"][0]["translations"] == {}
    assert v2.wrapstodon is None  # no annual report campaign


def test_activity_counts_twelve_weeks(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    alice.status_post("counted in this week's activity")
    weeks = Mastodon(api_base_url=api_node.url).instance_activity()
    assert len(weeks) == 12
    raw = httpx.get(f"{api_node.url}/api/v1/instance/activity").json()
    assert all(isinstance(value, str) for week in raw for value in week.values())
    assert set(raw[0]) == {"week", "statuses", "logins", "registrations"}
    this_week = raw[0]
    assert abs(int(this_week["week"]) - datetime.now(UTC).timestamp()) < 300
    assert int(raw[0]["week"]) - int(raw[1]["week"]) == 7 * 24 * 3600
    # alice, bob and root were made and signed in just now; alice has just posted.
    assert int(this_week["registrations"]) == 3
    assert int(this_week["statuses"]) >= 1
    assert int(this_week["logins"]) >= 2  # root on the web, alice through an app
    assert [week["statuses"] for week in raw[2:]] == ["0"] * 10


def test_domain_blocks_as_the_admin_chose_to_show_them(api_node: NodeProcess, admin: Admin) -> None:
    for domain, severity, extra in (
        ("spam.example", "suspend", {"comment": "for the admins", "public_comment": "spam wave"}),
        ("quiet.example", "silence", {}),
        ("noop.example", "noop", {"reject_reports": "on"}),  # nothing people notice: unlisted
        ("pictures.example", "noop", {"reject_media": "on"}),
    ):
        admin.post(
            "/admin/federation/blocks",
            {"domain": domain, "severity": severity, **extra},
            page="/admin/federation",
        )
    # Mastodon's default: shown to the people signed in here, not to anyone.
    assert httpx.get(f"{api_node.url}/api/v1/instance/domain_blocks").status_code == 404
    alice = logged_in(api_node, "alice", ["read"])
    listed = alice.instance_domain_blocks()
    assert [(b.domain, b.severity) for b in listed] == [
        ("pictures.example", "noop"),
        ("quiet.example", "silence"),
        ("spam.example", "suspend"),
    ]
    assert listed[2].digest == hashlib.sha256(b"spam.example").hexdigest()
    assert [b.comment for b in listed] == ["", "", "spam wave"]  # never the admins' own note

    admin.post(
        "/admin/federation/disclosure",
        {"show_domain_blocks": "all", "show_domain_blocks_rationale": "users"},
        page="/admin/federation",
    )
    public = httpx.get(f"{api_node.url}/api/v1/instance/domain_blocks").json()
    assert [b["domain"] for b in public] == ["pictures.example", "quiet.example", "spam.example"]
    assert [b["comment"] for b in public] == [None, None, None]  # reasons: signed in only
    admin.post(
        "/admin/federation/disclosure",
        {"show_domain_blocks": "disabled", "show_domain_blocks_rationale": "disabled"},
        page="/admin/federation",
    )
    with pytest.raises(MastodonNotFoundError):
        alice.instance_domain_blocks()


def test_announcements_read_dismissed_and_reacted_to(api_node: NodeProcess, admin: Admin) -> None:
    anonymous = httpx.get(f"{api_node.url}/api/v1/announcements")
    assert anonymous.status_code == 401
    refused = admin.web.post(
        "/admin/announcements",
        data={
            "text": "bad dates", "starts_at": "2030-01-02T10:00", "ends_at": "2030-01-01T10:00",
            "csrf": CSRF_RE.search(admin.web.get("/admin/announcements").text)[1],  # type: ignore[index]
        },
    )  # fmt: skip
    assert refused.status_code == 422 and "must end after it starts" in refused.text
    admin.post(
        "/admin/announcements",
        {"text": "Maintenance tonight, see https://status.example", "starts_at":
         "2030-01-01T20:00", "ends_at": "2030-01-01T22:00"},
        page="/admin/announcements",
    )  # fmt: skip
    admin.post("/admin/announcements", {"text": "Welcome!"}, page="/admin/announcements")

    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    shown = alice.announcements()
    welcome, maintenance = shown  # by start, else by publication: Mastodon's order
    assert 'href="https://status.example"' in maintenance.content  # links, as Mastodon's
    assert welcome.content == "<p>Welcome!</p>"
    assert maintenance.starts_at == datetime(2030, 1, 1, 20, 0, tzinfo=UTC)
    assert maintenance.all_day is False and welcome.starts_at is None
    assert welcome.read is False and welcome.reactions == []
    assert abs(welcome.published_at - datetime.now(UTC)) < timedelta(minutes=5)

    alice.announcement_reaction_create(welcome, "👍")
    bob.announcement_reaction_create(welcome, "👍")
    bob.announcement_reaction_create(welcome, "🎉")
    alice.announcement_reaction_create(welcome, "👍")  # again: still one
    reactions = alice.announcements()[0].reactions
    assert [(r.name, r.count, r.me) for r in reactions] == [("👍", 2, True), ("🎉", 1, False)]
    bob.announcement_reaction_delete(welcome, "🎉")
    with pytest.raises(MastodonNotFoundError):
        bob.announcement_reaction_delete(welcome, "🎉")  # nothing left to take back
    with pytest.raises(MastodonAPIError) as not_emoji:
        alice.announcement_reaction_create(welcome, "hello")
    assert not_emoji.value.args[1] == 422

    alice.announcement_dismiss(welcome)
    assert [a.read for a in alice.announcements()] == [True, False]
    assert [a.read for a in bob.announcements()] == [False, False]  # read is per person
    with pytest.raises(MastodonNotFoundError):
        alice.announcement_dismiss(123456789)

    # Removed by the admin: gone for everyone.
    page = admin.web.get("/admin/announcements").text
    removal = re.search(rf"/admin/announcements/{welcome.id}/remove", page)
    assert removal
    admin.post(removal[0], {}, page="/admin/announcements")
    assert [a.id for a in alice.announcements()] == [maintenance.id]


def test_reports_reach_the_moderators(api_node: NodeProcess, admin: Admin) -> None:
    admin.post(
        "/admin/instance",
        {"name": "Hedgerow", "description": "", "registration_mode": "approval",
         "rules": "Be kind\nNo spam"},
        page="/admin/instance",
    )  # fmt: skip
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    post = bob.status_post("buy my stuff, reported")
    target = alice.account_lookup("bob")

    report = alice.report(target, [post], "This is spam.", category="spam")
    assert report.category == "spam" and report.comment == "This is spam."
    assert report.status_ids == [post.id] and report.rule_ids == []
    assert report.target_account.id == target.id and report.target_account.username == "bob"
    assert report.forwarded is False and report.action_taken is False
    assert report.action_taken_at is None

    # Naming rules makes it a violation, whatever the category given (Mastodon's rule).
    broken = alice.report(target, None, "", category="other", rule_ids=["2"])
    assert (broken.category, broken.rule_ids) == ("violation", ["2"])
    token = token_for(api_node, "alice", "write:reports")
    with api(api_node, token) as client:
        unknown_rule = client.post(
            "/api/v1/reports", data={"account_id": target.id, "rule_ids[]": "9"}
        )
        assert unknown_rule.status_code == 422 and "rules" in unknown_rule.json()["error"]
        bad = client.post("/api/v1/reports", data={"account_id": target.id, "category": "rude"})
        assert bad.status_code == 422 and "Category" in bad.json()["error"]
        nobody = client.post("/api/v1/reports", data={"account_id": "99999999"})
        assert nobody.status_code == 404
        # Mastodon routes no listing of one's reports.
        listing = client.get("/api/v1/reports")
        assert listing.status_code == 404 and listing.json() == {"error": "Record not found"}
    with api(api_node, token_for(api_node, "alice", "read")) as reader:
        assert reader.post("/api/v1/reports", data={"account_id": target.id}).status_code == 403

    moderators = admin.web.get("/admin/reports").text
    assert "This is spam." in moderators and "buy my stuff, reported" in moderators


def test_oauth_userinfo_and_app_credentials(api_node: NodeProcess) -> None:
    metadata = httpx.get(f"{api_node.url}/.well-known/oauth-authorization-server").json()
    assert metadata["userinfo_endpoint"] == f"{api_node.url}/oauth/userinfo"
    assert "profile" in metadata["scopes_supported"]

    profile_only = token_for(api_node, "alice", "profile")
    with api(api_node, profile_only) as client:
        info = client.get("/oauth/userinfo").json()
        assert info == {
            "iss": f"{api_node.url}/",
            "sub": f"{api_node.url}/users/alice",
            "name": info["name"],
            "preferred_username": "alice",
            "profile": f"{api_node.url}/@alice",
            "picture": info["picture"],
        }
        assert info["picture"].startswith("http")
        assert client.post("/oauth/userinfo").json() == info  # POST too, as Mastodon
        # A profile-only token verifies its app (Mastodon 4.3), with its scopes and URIs.
        app = client.get("/api/v1/apps/verify_credentials").json()
        assert app["scopes"] == ["profile"]
        assert app["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob"]
        assert "client_secret" not in app
        # ...but reads nothing else.
        assert client.get("/api/v1/accounts/verify_credentials").status_code == 403
    with api(api_node, token_for(api_node, "alice", "read")) as reader:
        refused = reader.get("/oauth/userinfo")
        assert refused.status_code == 403 and "scopes" in refused.json()["error"]
    assert httpx.get(f"{api_node.url}/oauth/userinfo").status_code == 401

    client_id, client_secret = Mastodon.create_app(
        "userinfo", api_base_url=api_node.url, scopes=["read", "profile"]
    )
    alice = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=api_node.url)
    alice.log_in("alice@example.org", PASSWORD, scopes=["read", "profile"], allow_http=True)
    # (Mastodon.py's `oauth_userinfo()` refuses an http:// userinfo_endpoint: httpx above.)
    assert alice.app_verify_credentials().name == "userinfo"


def test_preferences_and_annual_reports(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read"])
    preferences = alice.preferences()
    assert preferences["posting:default:visibility"] == "public"
    assert preferences["posting:default:quote_policy"] == "public"
    assert preferences["reading:autoplay:gifs"] is False
    assert preferences["reading:expand:media"] == "default"
    with api(api_node, token_for(api_node, "alice", "read")) as client:
        assert client.get("/api/v1/annual_reports").json() == {
            "annual_reports": [], "accounts": [], "statuses": []
        }  # fmt: skip
        assert client.get("/api/v1/annual_reports/2025/state").json() == {"state": "ineligible"}
    assert httpx.get(f"{api_node.url}/api/v1/annual_reports").status_code == 401

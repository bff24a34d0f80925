"""Every endpoint of the Mastodon API face, answered by a real node, validated against the
published OpenAPI description (bocage/mastodon_api/data/): one scenario drives every route
with real objects through a recording client (sweep.py), then the routes the app serves are
compared with those validated. A route added without being exercised here fails the test,
naming it: exercise it in the scenario, or allow-list it below with the reason."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bocage.mastodon_api import all_routes
from bocage.mastodon_api.routes.admin import routes as admin_routes
from bocage.mastodon_api.streaming.routes import routes as streaming_routes
from bocage.web.routes.oauth import routes as consent_routes
from tests.federation.helpers import CSRF_RE, PASSWORD
from tests.mastodon_api.openapi import document, problems_against
from tests.mastodon_api.sweep import EMPTY, Description, Key, Recorder, gaps, served
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
T = TypeVar("T")
SCOPES = "read write follow push"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

# Routes of the face whose answers are not validated against the description, by app path.
ALLOWED: dict[Key, str] = {
    # Not in the OpenAPI description.
    ("GET", "/api/v1/trends"): "Mastodon's name for /api/v1/trends/tags before 3.5, still "
    "routed by Mastodon and used by older clients (Mastodon.py's `trends()`); the copy "
    "describes only the new name. Its answer is checked against that one's schema below.",
    ("POST", "/oauth/authorize"): "the consent form of the web face, submitted by a browser "
    "(answers a redirect to the app); the copy describes only the GET.",
    # Described, but their answers are not JSON.
    ("GET", "/oauth/authorize"): "an HTML consent page (the description: 'String (URL) or "
    "HTML response'); tests/mastodon_api/test_oauth.py drives it.",
    ("GET", "/api/v1/streaming/health"): "plain text `OK` (the description: 'String').",
    ("GET", "/api/v1/streaming/{path:path}"): "server-sent events, not JSON: covered by "
    "tests/mastodon_api/test_streaming.py.",
    ("WEBSOCKET", "/api/v1/streaming"): "a WebSocket, not JSON: covered by "
    "tests/mastodon_api/test_streaming.py.",
    ("GET", "/api/v1/notifications/policy"): "the v1 NotificationPolicy (Mastodon 4.3 still "
    "routes it; the copy describes only v2, and matches the path to /notifications/{id}): "
    "tests/mastodon_api/test_notifications_grouped.py checks it against V1NotificationPolicy.",
    ("PATCH", "/api/v1/notifications/policy"): "as its GET.",
    # Answered as a Mastodon server with the feature off answers: never a success here
    # (their refusals are validated in the scenario).
    ("POST", "/api/v1/statuses/{id:id}/translate"): "no translation service: a 403, as "
    "Mastodon without one (docs/mastodon_api.md).",
    ("GET", "/api/v1/timelines/link"): "this sweep's links lead to pages no node can read "
    "(no network), so nothing trends: a 404, as Mastodon answers a URL not among its "
    "trending links; the link timeline itself: tests/mastodon_api/test_cards.py.",
    # The instance slice: refusals only, or not in the description.
    ("GET", "/api/v1/instance/terms_of_service"): "Bocage publishes no terms of service: "
    "404, as Mastodon without any (tests/mastodon_api/test_instance_api.py).",
    ("GET", "/api/v1/instance/terms_of_service/{date}"): "as above: 404.",
    ("POST", "/api/v1/annual_reports/{year:id}/read"): "no annual report is ever made here: "
    "404, as Mastodon for a report it does not have.",
    ("POST", "/api/v1/annual_reports/{year:id}/generate"): "no annual report is ever made "
    "here: 204 with nothing started, as Mastodon outside its campaign (the description has "
    "200 and 202 only); tests/mastodon_api/test_api_rest.py.",
    ("GET", "/api/v1_alpha/async_refreshes/{id}"): "no refresh ever runs here: 404, as "
    "Mastodon for one that expired.",
    ("POST", "/api/v1/emails/confirmations"): "no e-mail confirmation here: every address is "
    "confirmed, and Mastodon answers 403 for such an account.",
    ("POST", "/api/v1/notifications/dismiss"): "Mastodon 1.3–2.9.2's dismissal with the id "
    "in the body, not in the description: tests/mastodon_api/test_api_rest.py.",
    ("GET", "/api/v1/reports"): "not routed by Mastodon (only POST): 404, "
    "tests/mastodon_api/test_instance_api.py.",
    ("GET", "/api/v1/instance/languages"): "not in the copy of the description; Mastodon's "
    "[{code, name}] checked in tests/mastodon_api/test_instance_api.py.",
    ("POST", "/oauth/userinfo"): "the copy describes only the GET (Mastodon routes both).",
    ("GET", "/health"): "plain text `OK`, not JSON: tests/mastodon_api/test_instance_api.py.",
    # Bocage's own (docs/mastodon_api.md).
    ("GET", "/api/v1/media/{id:id}/original"): "a HEIC photo's original for its owner, the "
    "file's bytes (not JSON): covered by tests/services/test_media.py.",
    ("GET", "/api/openapi.json"): "the node's own OpenAPI description of this API: "
    "covered by tests/mastodon_api/test_openapi_served.py and test_schemathesis.py.",
}


def _without_required(name: str, field: str) -> dict[str, Any]:
    """The component `name` of the description with `field` no longer required."""
    schema = dict(document()["components"]["schemas"][name])
    schema["required"] = [f for f in schema["required"] if f != field]
    return schema


# Lists validated only empty (so their items never were), by (METHOD, template).
# The admin API: the description (abraham/mastodon-openapi) leaves it out. `_admin` drives
# every route (each must succeed or refuse as expected); the entities are Mastodon.py's, checked
# in tests/mastodon_api/test_admin_api.py and the coverage record.
ALLOWED.update(
    {
        (method, route.path): "the admin API, not in the OpenAPI description"
        for route in admin_routes
        for method in (getattr(route, "methods", None) or set()) - {"HEAD"}
    }
)

ALWAYS_EMPTY: dict[Key, str] = {
    ("GET", "/api/v1/custom_emojis"): "Bocage has no custom emojis.",
    ("GET", "/api/v1/trends/links"): "this sweep's links lead to pages no node can read (no "
    "network), so no card trends; trending links: tests/mastodon_api/test_cards.py.",
    ("GET", "/api/v1/instance/peers"): "peers are the domains of remote accounts: one node "
    "knows none (the items are plain strings).",
}


WRAPPED_ANNUAL_REPORTS: dict[str, Any] = {
    "type": "object",
    "required": ["annual_reports", "accounts", "statuses"],
    "properties": {
        "annual_reports": {"type": "array", "items": {"$ref": "#/components/schemas/AnnualReport"}},
        "accounts": {"type": "array", "items": {"$ref": "#/components/schemas/Account"}},
        "statuses": {"type": "array", "items": {"$ref": "#/components/schemas/Status"}},
    },
}

# Where the copy of the description is wrong, the schema Mastodon really answers with, for
# one (METHOD, template, status) only.
CORRECTIONS: dict[tuple[str, str, int], dict[str, Any]] = {
    # The copy's own description says "List of [V1::Filter]" but its schema is one V1Filter;
    # Mastodon renders `@filters, each_serializer: REST::V1::FilterSerializer`
    # (app/controllers/api/v1/filters_controller.rb#index).
    ("GET", "/api/v1/filters", 200): {
        "type": "array",
        "items": {"$ref": "#/components/schemas/V1Filter"},
    },
    # Mastodon destroys the FilterStatus and answers `render_empty` ({}), not the FilterStatus
    # the copy declares (app/controllers/api/v2/filters/statuses_controller.rb#destroy).
    ("DELETE", "/api/v2/filters/statuses/{id}", 200): EMPTY,
    # Described in words only; the shapes Mastodon renders. WrappedAnnualReports
    # (REST::AnnualReportsSerializer): the reports, with the accounts and statuses they name.
    ("GET", "/api/v1/annual_reports", 200): WRAPPED_ANNUAL_REPORTS,
    ("GET", "/api/v1/annual_reports/{year}", 200): WRAPPED_ANNUAL_REPORTS,
    # "Hash with a single `state` key", one of four values.
    ("GET", "/api/v1/annual_reports/{year}/state", 200): {
        "type": "object",
        "required": ["state"],
        "additionalProperties": False,
        "properties": {"state": {"enum": ["available", "generating", "eligible", "ineligible"]}},
    },
    # "Object with source language codes as keys and arrays of target language codes".
    ("GET", "/api/v1/instance/translation_languages", 200): {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    # OpenID Connect userinfo (OAuthUserinfoSerializer): these claims, all strings.
    ("GET", "/oauth/userinfo", 200): {
        "type": "object",
        "required": ["iss", "sub", "name", "preferred_username", "profile", "picture"],
        "properties": {
            name: {"type": "string"}
            for name in ("iss", "sub", "name", "preferred_username", "profile", "picture")
        },
    },
    # The copy declares no body ("Preferences by key and value") though it has the
    # Preferences entity (docs.joinmastodon.org/entities/Preferences) that
    # Api::V1::PreferencesController#index renders (REST::PreferencesSerializer).
    ("GET", "/api/v1/preferences", 200): {"$ref": "#/components/schemas/Preferences"},
}


def _string_group_ids() -> dict[str, Any]:
    """GroupedNotificationsResults with `most_recent_notification_id` a string: Mastodon's
    are small integers, Bocage's beyond 2^53, which a JavaScript client would round (the
    docs and masto.js call it a string; Mastodon.py reads both)."""
    schemas = document()["components"]["schemas"]
    group = dict(schemas["NotificationGroup"])
    group["properties"] = {
        **group["properties"], "most_recent_notification_id": {"type": "string"}
    }  # fmt: skip
    results = dict(schemas["GroupedNotificationsResults"])
    results["properties"] = {
        **results["properties"], "notification_groups": {"type": "array", "items": group}
    }  # fmt: skip
    return results


CORRECTIONS[("GET", "/api/v2/notifications", 200)] = _string_group_ids()
CORRECTIONS[("GET", "/api/v2/notifications/{group_key}", 200)] = _string_group_ids()

# Collections (4.6): described in words only ("[WrappedCollection]", "[Collections]"); the
# wrappers Mastodon renders with `adapter: :json` (api/v1/collections_controller.rb).
_COLLECTION = {"$ref": "#/components/schemas/Collection"}
_WRAPPED_COLLECTION = {"type": "object", "required": ["collection"],
                       "properties": {"collection": _COLLECTION}}  # fmt: skip
_COLLECTIONS = {"type": "object", "required": ["collections"],
                "properties": {"collections": {"type": "array", "items": _COLLECTION}}}  # fmt: skip
CORRECTIONS[("POST", "/api/v1/collections", 200)] = _WRAPPED_COLLECTION
CORRECTIONS[("PATCH", "/api/v1/collections/{id}", 200)] = _WRAPPED_COLLECTION
CORRECTIONS[("GET", "/api/v1/accounts/{account_id}/collections", 200)] = _COLLECTIONS
CORRECTIONS[("GET", "/api/v1/accounts/{account_id}/in_collections", 200)] = _COLLECTIONS
CORRECTIONS[("POST", "/api/v1/collections/{collection_id}/items", 200)] = {
    "type": "object",
    "required": ["collection_item"],
    "properties": {"collection_item": {"$ref": "#/components/schemas/CollectionItem"}},
}

# The copy declares ValidationError (`error` and `details`) for most 422 answers, but
# Mastodon answers them `{ error: e.to_s }` (app/controllers/api/base_controller.rb,
# `rescue_from ActiveRecord::RecordInvalid`); only sign-up and update_credentials render
# `ValidationErrorFormatter` with `details` (api/v1/accounts_controller.rb#create,
# api/v1/accounts/credentials_controller.rb#update). Elsewhere a 422 is checked as Error.
DETAILS_ON: frozenset[Key] = frozenset(
    {("POST", "/api/v1/accounts"), ("PATCH", "/api/v1/accounts/update_credentials")}
)


def test_the_checker_can_fail() -> None:
    recorder = Recorder("http://unused", corrections=CORRECTIONS, details_on=DETAILS_ON)
    wrong = b'{"id": 1, "content": "<p>hi</p>"}'  # an id that is no string, fields missing
    assert recorder.check("GET", "/api/v1/statuses/42", 200, wrong)
    assert recorder.check("GET", "/api/v1/timelines/home", 200, b'{"not": "a list"}')
    assert recorder.check("DELETE", "/api/v1/lists/7", 200, b'{"id": "7"}')  # not Empty
    assert recorder.check("GET", "/api/v1/lists", 200, b"<html></html>")  # not JSON
    assert recorder.check("GET", "/api/v1/lists/7", 404, b'{"message": "gone"}')  # not Error
    assert recorder.check("POST", "/api/v1/accounts", 422, b'{"error": "no details"}')
    assert recorder.check("GET", "/api/v1/lists", 204, b"")  # a status not declared
    assert recorder.validated == set() and recorder.refusals == set()
    assert len({problem.split(":")[0] for problem in recorder.problems}) == 7

    assert recorder.check("DELETE", "/api/v1/lists/7", 200, b"{}") == []
    assert recorder.check("GET", "/api/v1/accounts/lookup", 404, b'{"error": "x"}') == []
    assert recorder.check("POST", "/api/v1/lists", 422, b'{"error": "Validation failed"}') == []
    assert recorder.check("GET", "/api/v1/streaming/health", 200, b"OK") == []  # no schema
    assert recorder.validated == {("DELETE", "/api/v1/lists/{id}")}
    assert recorder.without_schema == {("GET", "/api/v1/streaming/health")}
    assert recorder.refusals == {
        ("GET", "/api/v1/accounts/lookup", 404),  # the literal template, not /accounts/{id}
        ("POST", "/api/v1/lists", 422),
    }


def test_a_route_added_without_being_validated_is_named() -> None:
    description = Description()
    routes = [("GET", "/api/v1/lists/{id}"), ("GET", "/api/v1/timelines/list/{list_id}"),
              ("GET", "/api/v1/bocage_only"), ("POST", "/api/v1/lists")]  # fmt: skip
    validated = {("GET", "/api/v1/lists/{id}"), ("GET", "/api/v1/timelines/list/{list_id}")}
    assert gaps(description, routes, validated, {}) == [
        "GET /api/v1/bocage_only: not in the OpenAPI description, not allow-listed",
        "POST /api/v1/lists: served, never validated",
    ]
    allowed = {("GET", "/api/v1/bocage_only"): "ours", ("GET", "/gone"): "was ours"}
    assert gaps(description, routes, {*validated, ("POST", "/api/v1/lists")}, allowed) == [
        "GET /gone: allow-listed, served by no route"
    ]


@dataclass
class Person:
    api: httpx.Client
    id: str


def test_every_route_answers_what_the_description_declares(api_node: NodeProcess) -> None:
    recorder = Recorder(api_node.url, corrections=CORRECTIONS, details_on=DETAILS_ON)
    try:
        _scenario(recorder)
    finally:
        recorder.close()
    assert not recorder.problems, "answers departing from the Mastodon OpenAPI description:\n" + (
        "\n".join(recorder.problems)
    )
    # /oauth/authorize, part of Mastodon's API, is a page of the web face (a web session).
    routes = served([*all_routes(), *streaming_routes, *consent_routes])
    missing = gaps(recorder.description, routes, recorder.validated, ALLOWED)
    assert not missing, "routes of the Mastodon API not validated by this scenario:\n" + (
        "\n".join(missing)
    )
    hollow = sorted(recorder.validated - recorder.filled - set(ALWAYS_EMPTY))
    assert not hollow, f"lists validated only while empty (give them items): {hollow}"


def _scenario(recorder: Recorder) -> None:
    _write_rules(recorder.base_url)
    anonymous = recorder.client()
    alice, bob, root = (_person(recorder, anonymous, name) for name in ("alice", "bob", "root"))
    _oauth_and_instance(recorder, anonymous, alice)
    _accounts_and_relationships(alice, bob, root)
    _statuses(recorder, anonymous, alice, bob)
    _featured_tags(alice, bob)
    _lists_markers_and_filters(alice, bob)
    _push_subscription(alice)
    _notification_groups_and_requests(alice, bob, root)
    _safety_and_discovery(alice, bob, root)
    _instance_slice(recorder, anonymous, alice, bob)
    _collections_and_profile(alice, bob)
    _admin(recorder, anonymous, alice, bob)
    _refusals(recorder, anonymous, alice)


def _write_rules(base_url: str) -> None:
    """The admin writes the server's rules on the web face (the API only reads them)."""
    with httpx.Client(base_url=base_url) as web:
        csrf = CSRF_RE.search(web.get("/login").text)
        assert csrf
        web.post("/login", data={"login": "root", "password": PASSWORD, "csrf": csrf[1]})
        csrf = CSRF_RE.search(web.get("/admin/instance").text)
        assert csrf
        saved = web.post("/admin/instance", data={
            "name": "Sweep", "description": "Every route", "registration_mode": "approval",
            "rules": "Be kind\nNo spam", "csrf": csrf[1],
        })  # fmt: skip
        assert saved.status_code == 303, saved.text[:300]
        # An announcement and a blocked server, for the lists that show them.
        for path, form in (
            ("/admin/announcements", {"text": "Sweeping tonight"}),
            ("/admin/federation/blocks", {"domain": "sweep-blocked.example",
                                          "severity": "suspend", "public_comment": "spam"}),
        ):  # fmt: skip
            csrf = CSRF_RE.search(
                web.get(path.rsplit("/", 1)[0] if "blocks" in path else path).text
            )
            assert csrf
            done = web.post(path, data={**form, "csrf": csrf[1]})
            assert done.status_code == 303, done.text[:300]


def _person(recorder: Recorder, anonymous: httpx.Client, name: str, scopes: str = SCOPES) -> Person:
    app = ok(anonymous.post("/api/v1/apps", data={"client_name": "sweep", "scopes": scopes}))
    token = ok(
        anonymous.post(
            "/oauth/token",
            data={
                "grant_type": "password", "client_id": app["client_id"],
                "client_secret": app["client_secret"], "username": f"{name}@example.org",
                "password": PASSWORD, "scope": scopes,
            },
        )
    )  # fmt: skip
    api = recorder.client(token["access_token"])
    return Person(api, ok(api.get("/api/v1/accounts/verify_credentials"))["id"])


def _oauth_and_instance(recorder: Recorder, anonymous: httpx.Client, alice: Person) -> None:
    ok(anonymous.get("/.well-known/oauth-authorization-server"))
    app = ok(anonymous.post("/api/v1/apps", data={"client_name": "signup", "scopes": "read write"}))
    secret = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    as_app = ok(anonymous.post("/oauth/token", data={**secret, "grant_type": "client_credentials",
                                                      "scope": "read write"}))  # fmt: skip
    app_api = recorder.client(as_app["access_token"])
    ok(app_api.get("/api/v1/apps/verify_credentials"))
    form = {"username": "sweeper", "email": "sweeper@example.org", "password": "long enough pw",
            "agreement": "true"}  # fmt: skip
    why = refused(app_api.post("/api/v1/accounts", data=form), 422)  # approval: asks why
    assert why["details"]["reason"][0]["error"] == "ERR_BLANK"
    taken = refused(app_api.post("/api/v1/accounts", data={**form, "username": "alice",
                                                           "reason": "x"}), 422)  # fmt: skip
    assert taken["details"]["username"][0]["error"] == "ERR_TAKEN"
    ok(app_api.post("/api/v1/accounts", data={**form, "reason": "I sweep"}))
    ok(anonymous.post("/oauth/revoke", data={**secret, "token": as_app["access_token"]}))
    refused(app_api.get("/api/v1/apps/verify_credentials"), 401)

    for path in ("/api/v1/instance", "/api/v2/instance", "/api/v1/instance/rules",
                 "/api/v1/instance/peers", "/api/v1/custom_emojis"):  # fmt: skip
        ok(anonymous.get(path))
    ok(alice.api.get("/api/v1/preferences"))
    assert anonymous.get("/api/v1/streaming/health").text == "OK"  # allow-listed: not JSON
    assert ("GET", "/api/v1/streaming/health") in recorder.without_schema


def _instance_slice(
    recorder: Recorder, anonymous: httpx.Client, alice: Person, bob: Person
) -> None:
    """Instance sub-resources, announcements, reports, userinfo, annual reports."""
    for path in ("/api/v1/instance/activity", "/api/v1/instance/extended_description",
                 "/api/v1/instance/translation_languages"):  # fmt: skip
        ok(anonymous.get(path))
    refused(anonymous.get("/api/v1/instance/domain_blocks"), 404)  # to people signed in here
    ok(alice.api.get("/api/v1/instance/domain_blocks"))
    refused(anonymous.get("/api/v1/instance/terms_of_service"), 404)
    assert anonymous.get("/health").text == "OK"

    shown = ok(alice.api.get("/api/v1/announcements"))
    first = shown[0]["id"]
    ok(alice.api.put(f"/api/v1/announcements/{first}/reactions/👍"))
    ok(alice.api.delete(f"/api/v1/announcements/{first}/reactions/👍"))
    ok(alice.api.post(f"/api/v1/announcements/{first}/dismiss"))

    ok(alice.api.post("/api/v1/reports", data={"account_id": bob.id, "comment": "sweep",
                                               "category": "spam"}))  # fmt: skip
    ok(alice.api.get("/api/v1/annual_reports"))
    ok(alice.api.get("/api/v1/annual_reports/2025"))
    ok(alice.api.get("/api/v1/annual_reports/2025/state"))

    app = ok(anonymous.post("/api/v1/apps", data={"client_name": "me", "scopes": "profile"}))
    token = ok(anonymous.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": "alice@example.org",
        "password": PASSWORD, "scope": "profile",
    }))  # fmt: skip
    ok(recorder.client(token["access_token"]).get("/oauth/userinfo"))


def _collections_and_profile(alice: Person, bob: Person) -> None:
    """Collections and the Profile (4.6); the three answered as with the feature off are
    refusals (allow-listed above), validated as errors here."""
    a = alice.api
    ok(a.get("/api/v1/profile"))
    ok(a.patch("/api/v1/profile", data={"note": "Sweeping"}))
    made = ok(a.post("/api/v1/collections", data={"name": "Sweep", "discoverable": "true",
                                                  "tag_name": "sweep"}))  # fmt: skip
    collection = made["collection"]["id"]
    item = ok(a.post(f"/api/v1/collections/{collection}/items", data={"account_id": bob.id}))
    ok(a.patch(f"/api/v1/collections/{collection}", data={"description": "Swept"}))
    ok(a.get(f"/api/v1/collections/{collection}"))
    ok(a.get(f"/api/v1/accounts/{alice.id}/collections"))
    ok(bob.api.get(f"/api/v1/accounts/{bob.id}/in_collections"))
    item_id = item["collection_item"]["id"]
    ok(bob.api.post(f"/api/v1/collections/{collection}/items/{item_id}/revoke"))
    ok(a.delete(f"/api/v1/collections/{collection}/items/{item_id}"))
    ok(a.delete(f"/api/v1/collections/{collection}"))
    refused(a.post("/api/v1/emails/confirmations"), 403)
    refused(a.get("/api/v1_alpha/async_refreshes/none"), 404)


def _accounts_and_relationships(alice: Person, bob: Person, root: Person) -> None:
    a = alice.api
    ok(a.patch("/api/v1/accounts/update_credentials",
               data={"locked": "true", "display_name": "Alice", "note": "Sweeping #sweep",
                     "fields_attributes[0][name]": "site", "fields_attributes[0][value]": "x"},
               files={"avatar": ("a.png", PNG, "image/png")}))  # fmt: skip
    ok(a.get(f"/api/v1/accounts/{bob.id}"))
    ok(a.get("/api/v1/accounts", params={"id[]": [bob.id, root.id]}))
    ok(a.get("/api/v1/accounts/lookup", params={"acct": "bob"}))
    ok(a.get("/api/v1/accounts/search", params={"q": "bo"}))

    # Follow requests: alice is locked now.
    ok(bob.api.post(f"/api/v1/accounts/{alice.id}/follow"))
    ok(root.api.post(f"/api/v1/accounts/{alice.id}/follow"))
    assert {p["id"] for p in ok(a.get("/api/v1/follow_requests"))} == {bob.id, root.id}
    ok(a.post(f"/api/v1/follow_requests/{bob.id}/authorize"))
    ok(a.post(f"/api/v1/follow_requests/{root.id}/reject"))

    ok(a.post(f"/api/v1/accounts/{bob.id}/follow", data={"reblogs": "true"}))
    ok(a.post(f"/api/v1/accounts/{root.id}/follow"))
    ok(a.post(f"/api/v1/accounts/{root.id}/unfollow"))
    for verb in ("block", "unblock", "mute", "unmute"):
        ok(a.post(f"/api/v1/accounts/{root.id}/{verb}"))
    ok(a.get("/api/v1/accounts/relationships", params={"id[]": [bob.id, root.id]}))
    ok(root.api.post(f"/api/v1/accounts/{bob.id}/follow"))
    ok(bob.api.post(f"/api/v1/accounts/{root.id}/follow"))
    familiar = ok(a.get("/api/v1/accounts/familiar_followers", params={"id[]": [root.id]}))
    assert [p["id"] for p in familiar[0]["accounts"]] == [bob.id]  # bob follows root too
    ok(a.get(f"/api/v1/accounts/{bob.id}/followers"))
    ok(a.get(f"/api/v1/accounts/{alice.id}/following"))
    ok(a.post(f"/api/v1/accounts/{bob.id}/note", data={"comment": "met at the market"}))

    for verb in ("endorse", "unendorse", "pin"):
        ok(a.post(f"/api/v1/accounts/{bob.id}/{verb}"))
    assert [p["id"] for p in ok(a.get("/api/v1/endorsements"))] == [bob.id]
    ok(anonymous_get(a, f"/api/v1/accounts/{alice.id}/endorsements"))
    ok(a.post(f"/api/v1/accounts/{bob.id}/unpin"))


def _featured_tags(alice: Person, bob: Person) -> None:
    """After _statuses: the hashtags alice used are suggested."""
    assert ok(alice.api.get("/api/v1/featured_tags/suggestions"))
    featured = ok(alice.api.post("/api/v1/featured_tags", data={"name": "sweep"}))
    ok(alice.api.get("/api/v1/featured_tags"))
    ok(bob.api.get(f"/api/v1/accounts/{alice.id}/featured_tags"))
    ok(alice.api.delete(f"/api/v1/featured_tags/{featured['id']}"))
    # Hashtags by name (Mastodon 4.0; feature and unfeature 4.4).
    ok(alice.api.get("/api/v1/tags/sweep"))
    ok(alice.api.post("/api/v1/tags/sweep/follow"))
    assert ok(alice.api.get("/api/v1/followed_tags"))
    ok(alice.api.post("/api/v1/tags/sweep/unfollow"))
    ok(alice.api.post("/api/v1/tags/sweep/feature"))
    ok(alice.api.post("/api/v1/tags/sweep/unfeature"))
    refused(alice.api.get("/api/v1/tags/not-a-tag"), 404)


def _statuses(recorder: Recorder, anonymous: httpx.Client, alice: Person, bob: Person) -> None:
    a, b = alice.api, bob.api
    upload = ok(a.post("/api/v2/media", files={"file": ("dot.png", PNG, "image/png")}))
    old_upload = ok(a.post("/api/v1/media", files={"file": ("dot.png", PNG, "image/png")}))
    ok(a.get(f"/api/v1/media/{upload['id']}"))
    ok(a.put(f"/api/v1/media/{upload['id']}", data={"description": "a dot", "focus": "0.1,0.2"}))
    post = ok(a.post("/api/v1/statuses", data={
        "status": "A #sweep of every route", "spoiler_text": "long",
        "media_ids[]": [upload["id"], old_upload["id"]], "language": "en",
    }))  # fmt: skip
    poll = ok(a.post("/api/v1/statuses", data={
        "status": "Brooms or brushes?", "poll[options][]": ["brooms", "brushes"],
        "poll[expires_in]": "3600", "poll[multiple]": "true",
    }))  # fmt: skip
    reply = ok(
        b.post("/api/v1/statuses", data={"status": "@alice yes", "in_reply_to_id": post["id"]})
    )
    ok(a.post("/api/v1/statuses", data={"status": "@bob psst", "visibility": "direct"}))
    bobs = ok(b.post("/api/v1/statuses", data={"status": "Bob's #sweep"}))
    later = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    photo = ok(a.post("/api/v2/media", files={"file": ("dot.png", PNG, "image/png")}))
    scheduled = ok(a.post("/api/v1/statuses", data={
        "status": "later", "scheduled_at": later.isoformat(), "media_ids[]": [photo["id"]],
        "poll[options][]": ["now", "later"], "poll[expires_in]": "600",
    }))  # fmt: skip
    assert "params" in scheduled  # a ScheduledStatus, not a Status

    ok(a.put(f"/api/v1/statuses/{post['id']}", data={"status": "A #sweep of all routes"}))
    for part in ("", "/context", "/history", "/source"):
        ok(a.get(f"/api/v1/statuses/{post['id']}{part}"))
    ok(anonymous.get(f"/api/v1/statuses/{reply['id']}"))
    ok(b.post(f"/api/v1/polls/{poll['poll']['id']}/votes", data={"choices[]": ["0", "1"]}))
    ok(a.get(f"/api/v1/polls/{poll['poll']['id']}"))

    # alice on bob's post, bob on alice's (which notifies her).
    for verb in ("favourite", "reblog", "bookmark"):
        ok(a.post(f"/api/v1/statuses/{bobs['id']}/{verb}"))
    ok(b.post(f"/api/v1/statuses/{post['id']}/favourite"))
    ok(a.get(f"/api/v1/statuses/{bobs['id']}/favourited_by"))
    ok(a.get(f"/api/v1/statuses/{bobs['id']}/reblogged_by"))
    for verb in ("mute", "unmute", "pin"):
        ok(a.post(f"/api/v1/statuses/{post['id']}/{verb}"))
    ok(a.get(f"/api/v1/accounts/{alice.id}/statuses", params={"pinned": "true"}))
    ok(a.get(f"/api/v1/accounts/{bob.id}/statuses"))
    ok(a.post(f"/api/v1/statuses/{post['id']}/unpin"))

    eventually(lambda: ok(a.get("/api/v1/timelines/home")))  # the fan-out job, just after
    ok(anonymous.get("/api/v1/timelines/public", params={"local": "true"}))
    ok(anonymous.get("/api/v1/timelines/tag/sweep"))
    ok(a.get("/api/v1/bookmarks"))
    ok(a.get("/api/v1/favourites"))
    ok(a.get("/api/v2/search", params={"q": "sweep"}))
    ok(a.get("/api/v2/search", params={"q": "bob", "type": "accounts"}))
    ok(a.get("/api/v2/search", params={"q": "#sweep"}))
    assert ok(anonymous.get("/api/v1/statuses", params={"id[]": [post["id"], bobs["id"]]}))
    assert ok(anonymous.get("/api/v1/instance/translation_languages")) == {}
    refused(a.post(f"/api/v1/statuses/{bobs['id']}/translate"), 403)
    refused(a.get("/api/v1/timelines/link", params={"url": "https://example.com/"}), 404)
    # Quote posts (Mastodon 4.5): alice quotes bob's post; bob lists its quotes, closes it
    # to quotes, revokes hers; quoting it again is refused.
    quoting = ok(a.post("/api/v1/statuses", data={
        "status": "Quoting Bob", "quoted_status_id": bobs["id"],
        "quote_approval_policy": "followers",
    }))  # fmt: skip
    assert quoting["quote"]["state"] == "accepted"
    assert ok(anonymous.get(f"/api/v1/statuses/{bobs['id']}/quotes"))
    policy = {"quote_approval_policy": "nobody"}
    ok(b.put(f"/api/v1/statuses/{bobs['id']}/interaction_policy", data=policy))
    ok(b.post(f"/api/v1/statuses/{bobs['id']}/quotes/{quoting['id']}/revoke"))
    again = {"status": "again", "quoted_status_id": bobs["id"]}
    refused(a.post("/api/v1/statuses", data=again), 404)
    for path in ("/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"):
        ok(anonymous.get(path))
    tags = recorder.description.expected("GET", "/api/v1/trends/tags", 200).schema
    assert tags is not None
    assert problems_against(tags, ok(anonymous.get("/api/v1/trends"))) == []  # the old name

    conversations = eventually(lambda: ok(a.get("/api/v1/conversations")))
    ok(a.post(f"/api/v1/conversations/{conversations[0]['id']}/read"))
    ok(a.delete(f"/api/v1/conversations/{conversations[0]['id']}"))

    ok(a.get("/api/v1/scheduled_statuses"))
    ok(a.get(f"/api/v1/scheduled_statuses/{scheduled['id']}"))
    moved = (later + timedelta(hours=1)).isoformat()
    ok(a.put(f"/api/v1/scheduled_statuses/{scheduled['id']}", data={"scheduled_at": moved}))
    ok(a.delete(f"/api/v1/scheduled_statuses/{scheduled['id']}"))

    eventually(lambda: len(ok(b.get("/api/v1/notifications"))) >= 3)  # favourite, reblog…
    found = eventually(lambda: ok(a.get("/api/v1/notifications")))
    ok(a.get(f"/api/v1/notifications/{found[0]['id']}"))
    ok(a.post(f"/api/v1/notifications/{found[0]['id']}/dismiss"))
    ok(a.post("/api/v1/notifications/clear"))

    for verb in ("unfavourite", "unreblog", "unbookmark"):
        ok(a.post(f"/api/v1/statuses/{bobs['id']}/{verb}"))
    ok(a.delete(f"/api/v1/statuses/{poll['id']}"))


def _notification_groups_and_requests(alice: Person, bob: Person, root: Person) -> None:
    """Grouped notifications, the policy, and a request: alice's direct message to root,
    who does not follow her, is filtered by root's default policy."""
    a, r = alice.api, root.api
    mine = ok(a.post("/api/v1/statuses", data={"status": "group my favourites"}))
    ok(bob.api.post(f"/api/v1/statuses/{mine['id']}/favourite"))
    ok(r.post(f"/api/v1/statuses/{mine['id']}/favourite"))
    groups = eventually(lambda: ok(a.get("/api/v2/notifications"))["notification_groups"])
    key = groups[0]["group_key"]
    ok(a.get("/api/v2/notifications", params={"expand_accounts": "partial_avatars"}))
    ok(a.get(f"/api/v2/notifications/{key}"))
    ok(a.get(f"/api/v2/notifications/{key}/accounts"))
    ok(a.get("/api/v2/notifications/unread_count"))
    ok(a.get("/api/v1/notifications/unread_count"))
    ok(a.post(f"/api/v2/notifications/{key}/dismiss"))

    ok(r.get("/api/v2/notifications/policy"))
    ok(r.patch("/api/v2/notifications/policy", data={"for_new_accounts": "filter"}))
    for n in range(3):
        ok(a.post("/api/v1/statuses", data={"status": f"@root {n}", "visibility": "direct"}))
        held = eventually(lambda: ok(r.get("/api/v1/notifications/requests")))
        where = f"/api/v1/notifications/requests/{held[0]['id']}"
        ok(r.get(where))
        if n == 0:
            ok(r.post(f"{where}/dismiss"))
        elif n == 1:
            ok(r.post("/api/v1/notifications/requests/dismiss", data={"id[]": held[0]["id"]}))
        else:
            ok(r.post(f"{where}/accept"))
            # Already accepted: the bulk form passes over ids that are no request (any more).
            ok(r.post("/api/v1/notifications/requests/accept", data={"id[]": held[0]["id"]}))
    ok(r.get("/api/v1/notifications/requests/merged"))


def _lists_markers_and_filters(alice: Person, bob: Person) -> None:
    a = alice.api
    made = ok(a.post("/api/v1/lists", data={"title": "Sweepers", "replies_policy": "list"}))
    where = f"/api/v1/lists/{made['id']}"
    ok(a.get("/api/v1/lists"))
    ok(a.get(where))
    ok(a.put(where, data={"title": "Sweepers all", "exclusive": "true"}))
    ok(a.post(f"{where}/accounts", data={"account_ids[]": [bob.id]}))
    ok(a.get(f"{where}/accounts"))
    ok(a.get(f"/api/v1/accounts/{bob.id}/lists"))
    ok(a.get(f"/api/v1/timelines/list/{made['id']}"))
    ok(a.request("DELETE", f"{where}/accounts", data={"account_ids[]": [bob.id]}))
    ok(a.delete(where))

    newest = ok(a.get("/api/v1/timelines/home", params={"limit": 1}))[0]["id"]
    ok(a.post("/api/v1/markers", data={"home[last_read_id]": newest}))
    ok(a.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]}))

    filtered = ok(a.post("/api/v2/filters", json={
        "title": "Brooms", "context": ["home", "public"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "broom", "whole_word": True}],
    }))  # fmt: skip
    where = f"/api/v2/filters/{filtered['id']}"
    ok(a.post(f"{where}/keywords", data={"keyword": "sweep"}))
    home = ok(a.get("/api/v1/timelines/home"))
    assert any(status["filtered"] for status in home)  # Statuses with their FilterResults
    ok(a.get("/api/v2/filters"))
    ok(a.get(where))
    ok(a.put(where, json={"title": "Brooms and brushes", "expires_in": 86400}))
    keyword = ok(a.post(f"{where}/keywords", data={"keyword": "brush"}))
    ok(a.get(f"{where}/keywords"))
    ok(a.get(f"/api/v2/filters/keywords/{keyword['id']}"))
    ok(a.put(f"/api/v2/filters/keywords/{keyword['id']}", data={"whole_word": "false"}))
    ok(a.delete(f"/api/v2/filters/keywords/{keyword['id']}"))
    status = ok(a.post(f"{where}/statuses", data={"status_id": newest}))
    ok(a.get(f"{where}/statuses"))
    ok(a.get(f"/api/v2/filters/statuses/{status['id']}"))
    ok(a.delete(f"/api/v2/filters/statuses/{status['id']}"))
    ok(a.delete(where))

    old = ok(a.post("/api/v1/filters", data={"phrase": "mop", "context[]": ["home"]}))
    ok(a.get("/api/v1/filters"))
    ok(a.get(f"/api/v1/filters/{old['id']}"))
    ok(a.put(f"/api/v1/filters/{old['id']}", data={"phrase": "mops", "context[]": ["home"]}))
    ok(a.delete(f"/api/v1/filters/{old['id']}"))


def _push_subscription(alice: Person) -> None:
    """Subscribed, read, changed and removed (the pushes: tests/mastodon_api/test_push.py)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    keys = {"p256dh": base64.urlsafe_b64encode(point).decode(),
            "auth": base64.urlsafe_b64encode(b"sixteen byte key").decode()}  # fmt: skip
    subscription = {"endpoint": "https://push.invalid/sweep", "keys": keys, "standard": True}
    a = alice.api
    data = {"alerts": {"mention": True}}
    ok(a.post("/api/v1/push/subscription", json={"subscription": subscription, "data": data}))
    ok(a.get("/api/v1/push/subscription"))
    ok(a.put("/api/v1/push/subscription", json={"data": {"alerts": {"follow": True}}}))
    ok(a.delete("/api/v1/push/subscription"))
    refused(a.get("/api/v1/push/subscription"), 404)


def _safety_and_discovery(alice: Person, bob: Person, root: Person) -> None:
    """Mutes, blocks and domain blocks listed; a follower removed; the directory and follow
    suggestions (of accounts that opted in); pictures removed."""
    a = alice.api
    ok(a.post(f"/api/v1/accounts/{root.id}/mute", data={"duration": "3600"}))
    assert ok(a.get("/api/v1/mutes"))[0]["mute_expires_at"]
    ok(a.post(f"/api/v1/accounts/{root.id}/unmute"))
    ok(a.post(f"/api/v1/accounts/{root.id}/block"))
    ok(a.get("/api/v1/blocks"))
    ok(a.post(f"/api/v1/accounts/{root.id}/unblock"))
    assert ok(a.post("/api/v1/domain_blocks", data={"domain": "spam.example"})) == {}
    assert ok(a.get("/api/v1/domain_blocks")) == ["spam.example"]
    ok(a.request("DELETE", "/api/v1/domain_blocks", data={"domain": "spam.example"}))
    # root (whose request was rejected) follows again, and goes: bob keeps following alice,
    # as the modules that share this node expect (alice is locked, a new follow would wait).
    ok(root.api.post(f"/api/v1/accounts/{alice.id}/follow"))
    ok(a.post(f"/api/v1/follow_requests/{root.id}/authorize"))
    assert ok(a.post(f"/api/v1/accounts/{root.id}/remove_from_followers"))["followed_by"] is False
    for person in (bob, root):
        listed = {"discoverable": "true"}
        ok(person.api.patch("/api/v1/accounts/update_credentials", data=listed))
    ok(anonymous_get(a, "/api/v1/directory"))
    ok(a.get("/api/v1/suggestions"))  # root: followed by bob, whom alice follows
    ok(a.get("/api/v2/suggestions"))
    ok(a.delete(f"/api/v1/suggestions/{root.id}"))
    ok(a.delete("/api/v1/profile/avatar"))
    ok(a.delete("/api/v1/profile/header"))


def _admin(recorder: Recorder, anonymous: httpx.Client, alice: Person, bob: Person) -> None:
    """The admin API as root, with the admin scopes (its effects: test_admin_api.py)."""
    root = _person(recorder, anonymous, "root", f"{SCOPES} admin:read admin:write")
    r = root.api
    refused(alice.api.get("/api/v1/admin/accounts"), 403)  # not staff
    with httpx.Client(base_url=recorder.base_url) as web:  # a report to handle (web form)
        csrf = CSRF_RE.search(web.get("/login").text)
        assert csrf
        web.post("/login", data={"login": "bob", "password": PASSWORD, "csrf": csrf[1]})
        csrf = CSRF_RE.search(web.get("/@alice/report").text)
        assert csrf
        web.post("/@alice/report", data={"comment": "Sweep", "csrf": csrf[1]})
    ok(r.get("/api/v1/admin/accounts"))
    ok(r.get("/api/v2/admin/accounts", params={"origin": "local"}))
    ok(r.get(f"/api/v1/admin/accounts/{bob.id}"))
    for action, undo in (("silence", "unsilence"), ("sensitive", "unsensitive"),
                         ("disable", "enable"), ("suspend", "unsuspend")):  # fmt: skip
        ok(r.post(f"/api/v1/admin/accounts/{bob.id}/action", data={"type": action}))
        ok(r.post(f"/api/v1/admin/accounts/{bob.id}/{undo}"))
    pending = ok(r.get("/api/v2/admin/accounts", params={"status": "pending"}))
    sweeper = next(one["id"] for one in pending if one["username"] == "sweeper")
    ok(r.post(f"/api/v1/admin/accounts/{sweeper}/approve"))
    refused(r.post(f"/api/v1/admin/accounts/{alice.id}/reject"), 403)  # not waiting
    ok(r.post(f"/api/v1/admin/accounts/{sweeper}/action", data={"type": "suspend"}))
    ok(r.delete(f"/api/v1/admin/accounts/{sweeper}"))

    report = ok(r.get("/api/v1/admin/reports"))[0]["id"]
    ok(r.get(f"/api/v1/admin/reports/{report}"))
    for verb in ("assign_to_self", "unassign", "resolve", "reopen", "resolve"):
        ok(r.post(f"/api/v1/admin/reports/{report}/{verb}"))

    block = ok(r.post("/api/v1/admin/domain_blocks", data={"domain": "sweep.example"}))
    ok(r.get("/api/v1/admin/domain_blocks"))
    ok(r.get(f"/api/v1/admin/domain_blocks/{block['id']}"))
    ok(r.put(f"/api/v1/admin/domain_blocks/{block['id']}", data={"severity": "suspend"}))
    ok(r.delete(f"/api/v1/admin/domain_blocks/{block['id']}"))
    allow = ok(r.post("/api/v1/admin/domain_allows", data={"domain": "friends.example"}))
    ok(r.get("/api/v1/admin/domain_allows"))
    ok(r.get(f"/api/v1/admin/domain_allows/{allow['id']}"))
    ok(r.delete(f"/api/v1/admin/domain_allows/{allow['id']}"))
    email = ok(r.post("/api/v1/admin/email_domain_blocks", data={"domain": "spam.example"}))
    ok(r.get("/api/v1/admin/email_domain_blocks"))
    ok(r.get(f"/api/v1/admin/email_domain_blocks/{email['id']}"))
    ok(r.delete(f"/api/v1/admin/email_domain_blocks/{email['id']}"))
    canon = ok(r.post("/api/v1/admin/canonical_email_blocks", data={"email": "a.b+c@d.example"}))
    ok(r.get("/api/v1/admin/canonical_email_blocks"))
    ok(r.get(f"/api/v1/admin/canonical_email_blocks/{canon['id']}"))
    ok(r.post("/api/v1/admin/canonical_email_blocks/test", data={"email": "ab@d.example"}))
    ok(r.delete(f"/api/v1/admin/canonical_email_blocks/{canon['id']}"))
    ip = ok(r.post("/api/v1/admin/ip_blocks", data={"ip": "192.0.2.0/24",
                                                     "severity": "sign_up_block"}))  # fmt: skip
    ok(r.get("/api/v1/admin/ip_blocks"))
    ok(r.get(f"/api/v1/admin/ip_blocks/{ip['id']}"))
    ok(r.put(f"/api/v1/admin/ip_blocks/{ip['id']}", data={"comment": "Documentation"}))
    ok(r.delete(f"/api/v1/admin/ip_blocks/{ip['id']}"))

    tags = eventually(lambda: ok(r.get("/api/v1/admin/trends/tags")))
    ok(r.post(f"/api/v1/admin/trends/tags/{tags[0]['id']}/reject"))
    ok(r.post(f"/api/v1/admin/trends/tags/{tags[0]['id']}/approve"))
    posts = eventually(lambda: ok(r.get("/api/v1/admin/trends/statuses")))
    ok(r.post(f"/api/v1/admin/trends/statuses/{posts[0]['id']}/reject"))
    ok(r.post(f"/api/v1/admin/trends/statuses/{posts[0]['id']}/approve"))
    ok(r.get("/api/v1/admin/trends/links"))
    refused(r.post("/api/v1/admin/trends/links/1/approve"), 404)
    refused(r.post("/api/v1/admin/trends/links/1/reject"), 404)

    span = {"start_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
            "end_at": datetime.now(UTC).isoformat()}  # fmt: skip
    ok(r.post("/api/v1/admin/measures", json={**span, "keys": ["new_users", "interactions"]}))
    ok(r.post("/api/v1/admin/dimensions", json={**span, "keys": ["languages", "servers"]}))
    ok(r.post("/api/v1/admin/retention", json={**span, "frequency": "day"}))


def _refusals(recorder: Recorder, anonymous: httpx.Client, alice: Person) -> None:
    """Refusals are validated too (against the description's error schemas)."""
    refused(alice.api.get("/api/v1/statuses/1"), 404)
    refused(alice.api.get("/api/v1/lists/1"), 404)
    refused(anonymous.get("/api/v1/accounts/verify_credentials"), 401)
    refused(alice.api.post("/api/v1/statuses", data={"status": ""}), 422)
    refused(alice.api.post("/api/v1/featured_tags", data={}), 400)
    long_name = {"display_name": "x" * 31}
    too_long = refused(alice.api.patch("/api/v1/accounts/update_credentials", data=long_name), 422)
    assert too_long["details"]["display_name"][0]["error"] == "ERR_TOO_LONG"
    assert {status for _m, _t, status in recorder.refusals} >= {400, 401, 404, 422}


def anonymous_get(api: httpx.Client, path: str) -> httpx.Response:
    """GET without the client's token (an endpoint anyone may read)."""
    return api.get(path, headers={"Authorization": ""})


def ok(response: httpx.Response) -> Any:
    assert response.is_success, (
        f"{response.request.method} {response.request.url} → {response.status_code} "
        f"{response.text[:300]}"
    )
    return response.json()


def refused(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text[:300]}"
    return response.json()


def eventually(probe: Callable[[], T], deadline: float = 10.0) -> T:
    """What `probe` answers once it is truthy: jobs run just after the request."""
    end = time.monotonic() + deadline
    while not (found := probe()) and time.monotonic() < end:
        time.sleep(0.05)
    assert found, "nothing came before the deadline"
    return found

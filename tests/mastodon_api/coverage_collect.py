"""What a real node sends for each Mastodon entity: the field half of the coverage tables in
docs/mastodon_api.md (scripts/mastodon_coverage.py).

Alice, bob and root (an admin) make a little of everything through Mastodon.py (posts with a
poll, an image, a hashtag, a mention, a reply, an edit, a link to a page a small web server
serves here, for its preview card; follows, favourites, boosts, lists, filters, a scheduled
post, a direct message…), then every read Mastodon.py has is called once.
The raw JSON of each answer is recorded (through a `requests` hook: Mastodon.py's own objects
fill every field they do not get with None, so they cannot tell absent from null), but only
for the request that method is documented to send (never for the instance lookups Mastodon.py
makes along the way), and walked by the entity types Mastodon.py gives it.

A call the node refuses (an endpoint not there yet, a 404, a 422) is skipped: its entity is
then "not observed", and becomes observed when the endpoint comes. So the record changes as
Bocage grows: `python scripts/mastodon_coverage.py --collect --write` writes it again.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import http_ece
import httpx
import requests
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon
from PIL import Image

from tests import av_files
from tests.addresses import free_port, loopback
from tests.federation.helpers import CSRF_RE, PASSWORD, start_node
from tests.outsider import Outsider
from tests.processes import NodeProcess

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mastodon_coverage.py"
USERS = ["alice", "bob", "root*"]
SCOPES = ["read", "write", "follow", "push", "profile", "admin:read", "admin:write"]
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def coverage_script() -> ModuleType:
    """scripts/mastodon_coverage.py, which is no package: loaded from its file."""
    if "mastodon_coverage" in sys.modules:
        return sys.modules["mastodon_coverage"]
    spec = importlib.util.spec_from_file_location("mastodon_coverage", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mastodon_coverage"] = module
    spec.loader.exec_module(module)
    return module


class Recorder:
    """Records the raw answer each Mastodon.py call returns (the last JSON answer of the call:
    the lookups of the server's version Mastodon.py may make come before it), walked by the
    method's return type."""

    def __init__(self) -> None:
        self.script = coverage_script()
        source = self.script.library_dir()
        self.entities = self.script.read_entities(source)
        versions = {name: e.version for name, e in self.entities.items() if e.version}
        self.methods = self.script.read_methods(source, versions)
        self.observations = self.script.Observations(self.entities)
        self.recording = False
        self.errors = False
        self.last: Any = None
        self.refused: list[str] = []

    def hook(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if self.recording and "json" in response.headers.get("content-type", ""):
            self.last = response.json() if response.ok or self.errors else None

    @contextmanager
    def calling(self, name: str, entity: str | None = None, errors: bool = False) -> Iterator[None]:
        """Records the answer of `name`, walked as its return type or as `entity` (for a
        method whose return type names no entity: an error's details, a decrypted push);
        `errors`: record a refusal's body too (AccountCreationError is one)."""
        self.recording, self.last, self.errors = True, None, errors
        try:
            yield
        finally:
            self.recording, self.errors = False, False
        returns = entity if entity is not None else self.methods[name].node.returns
        if returns is not None and self.last is not None:
            self.observations.walk(returns, self.last)


class Client:
    """A Mastodon.py client whose answers the recorder sees."""

    def __init__(self, node: NodeProcess, who: str | None, recorder: Recorder) -> None:
        """`who` logged in, or (None) only the app, as before a sign-up."""
        self.recorder = recorder
        self.node = node
        session = requests.Session()
        session.hooks["response"].append(recorder.hook)
        client_id, client_secret = Mastodon.create_app(
            "Bocage coverage", api_base_url=node.url, scopes=SCOPES, session=session
        )
        self.api = Mastodon(
            client_id=client_id,
            client_secret=client_secret,
            api_base_url=node.url,
            session=session,
            version_check_mode="none",
        )
        if who is not None:
            self.api.log_in(f"{who}@example.org", PASSWORD, scopes=SCOPES, allow_http=True)

    def sent(self, name: str, method: str, path: str) -> Any:
        """The request Mastodon.py's `name` sends, sent by its session with its token: for a
        method that refuses a node on http:// (`oauth_userinfo` checks the scheme of the
        userinfo endpoint)."""
        with self.recorder.calling(name):
            answer = self.api.session.request(
                method,
                self.node.url + path,
                headers={"Authorization": f"Bearer {self.api.access_token}"},
                timeout=20,
            )
        return answer.json() if answer.ok else None

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """`name` called, recorded; None if the node refused it."""
        return self.recorded(name, None, False, *args, **kwargs)

    def recorded(
        self, name: str, entity: str | None, errors: bool, *args: Any, **kwargs: Any
    ) -> Any:
        """`name` called, its answer walked as `entity` (its return type if None), a refusal's
        body too if `errors`."""
        with self.recorder.calling(name, entity, errors):
            try:
                return getattr(self.api, name)(*args, **kwargs)
            except Exception as error:  # an endpoint not there yet, or a refusal: not observed
                self.recorder.refused.append(f"{name}: {type(error).__name__} {error}")
                self.recorder.last = None
                return None


class WebAdmin:
    """root on the node's admin pages, for what only they set: rules, announcements."""

    def __init__(self, node: NodeProcess) -> None:
        self.web = httpx.Client(base_url=node.url, timeout=20.0)
        self.post("/login", {"login": "root", "password": PASSWORD}, page="/login")

    def post(self, path: str, data: dict[str, str], page: str) -> None:
        found = CSRF_RE.search(self.web.get(page).text)
        assert found, f"no CSRF field on {page}"
        answer = self.web.post(path, data={**data, "csrf": found[1]})
        assert answer.status_code in (200, 303), f"{path}: {answer.status_code} {answer.text}"

    def close(self) -> None:
        self.web.close()


class PushService:
    """A push service on the node's own loopback address: it keeps the pushes it gets."""

    def __init__(self, host: str) -> None:
        received: list[tuple[dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer((host, free_port(host)), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/push/alice"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class UserStream:
    """Someone's user stream over server-sent events (what Mastodon.py's `stream_user`
    reads), kept from the start: the events it hears, with their raw JSON."""

    def __init__(self, node: NodeProcess, token: str) -> None:
        self.events: list[tuple[str, Any]] = []
        self.ready = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(20.0, read=None))
        self.url, self.token = f"{node.url}/api/v1/streaming/user", token
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.ready.wait(15), "the user stream did not open"

    def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with self.client.stream("GET", self.url, headers=headers) as answer:
                name = ""
                for line in answer.iter_lines():
                    if line.startswith(":"):
                        self.ready.set()  # subscribed before its first line is sent
                    elif line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self.events.append((name, json.loads(line.removeprefix("data: "))))
        except httpx.HTTPError:
            pass  # closed

    def heard(self, name: str) -> list[Any]:
        return [payload for event, payload in self.events if event == name]

    def close(self) -> None:
        self.client.close()


def decrypted(headers: dict[str, str], body: bytes, keys: dict[str, Any]) -> Any:
    """A push's JSON, decrypted as Mastodon.py's `push_subscription_decrypt_push` does (the
    `aesgcm` draft its subscriptions ask for), but kept raw: Mastodon.py's object would fill
    what the node did not send with None."""

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    crypto_key = headers["crypto-key"]
    plain = http_ece.decrypt(
        body,
        salt=unb64(headers["encryption"].split("salt=")[1].strip()),
        key=unb64(crypto_key.split("p256ecdsa=")[1].strip()),
        private_key=ec.derive_private_key(keys["privkey"], ec.SECP256R1()),
        dh=unb64(crypto_key.split("dh=")[1].split(";")[0].strip()),
        auth_secret=keys["auth"],
        keylabel="P-256",
        version="aesgcm",
    )
    return json.loads(plain)


def _until(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 15.0) -> Any:
    """Feeds and notifications are written by background jobs just after the action."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def card_image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (40, 120, 60)).save(out, "PNG")
    return out.getvalue()


def page_server(node: NodeProcess) -> Outsider:
    """A web page alice links to, for its link preview card: on her node's own host (another
    port), so that its `fediverse:creator` may name her (PreviewCardAuthor.account)."""
    image = card_image()
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta property="og:title" content="Hedges of Europe">'
        '<meta property="og:description" content="Where hedgehogs live.">'
        '<meta property="og:site_name" content="Hedge Weekly">'
        '<meta property="og:image" content="/hedges/card.png">'
        '<meta property="og:image:alt" content="A hedge">'
        '<meta property="article:published_time" content="2024-05-01T10:00:00Z">'
        f'<meta name="fediverse:creator" content="@alice@{node.host}:{node.port}">'
        "</head><body><p>Hedges.</p></body></html>"
    )

    async def serve(request: web.Request) -> web.Response:
        if request.path == "/hedges/card.png":
            return web.Response(body=image, content_type="image/png")
        return web.Response(text=html, content_type="text/html")

    return Outsider(node.host, (), routes=[("GET", "/hedges/{tail:.*}", serve)])


def collect(node: NodeProcess) -> dict[str, dict[str, str]]:
    with page_server(node).serving() as pages:
        return _prepare(node, f"{pages.url}/hedges/{time.time_ns()}")


def _prepare(node: NodeProcess, link: str) -> dict[str, dict[str, str]]:
    recorder = Recorder()
    alice = Client(node, "alice", recorder)
    bob = Client(node, "bob", recorder)
    root = Client(node, "root", recorder)
    me = alice("account_verify_credentials")
    bob_me = bob("account_verify_credentials")
    root_me = root("account_verify_credentials")
    if me is None or bob_me is None or root_me is None:
        raise AssertionError("the node refused to say who is logged in: nothing to observe")

    # What only the admin pages set: rules (one with a hint), an announcement; sign-ups open.
    web = WebAdmin(node)
    try:
        web.post(
            "/admin/instance",
            {"name": "Bocage coverage", "description": "Hedges.", "registration_mode": "open",
             "rules": "Be kind\n> Assume good faith.\nNo spam"},
            page="/admin/instance",
        )  # fmt: skip
        today = datetime.now(UTC)
        web.post(
            "/admin/announcements",
            {"text": "Hedge-laying on Saturday",
             "starts_at": today.strftime("%Y-%m-%dT%H:%M"),
             "ends_at": (today + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")},
            page="/admin/announcements",
        )  # fmt: skip
    finally:
        web.close()
    # A sign-up refused (its error's details), then carol's (her address: an AdminIp).
    carol = Client(node, None, recorder)
    carol.recorded(
        "create_account", "AccountCreationError", True,
        "carol", PASSWORD, "carol@example.org", agreement=False, return_detailed_error=True,
    )  # fmt: skip
    carol.api.create_account("carol", PASSWORD, "carol@example.org", agreement=True)
    carol_id = carol.api.account_verify_credentials().id
    # alice's pushes, to a push service of this collector's own.
    pushes = PushService(node.host)
    try:
        return _collect(node, recorder, alice, bob, root, carol, carol_id, pushes, link)
    finally:
        pushes.close()


def _collect(
    node: NodeProcess,
    recorder: Recorder,
    alice: Client,
    bob: Client,
    root: Client,
    carol: Client,
    carol_id: Any,
    pushes: PushService,
    link: str,
) -> dict[str, dict[str, str]]:
    alice_id = alice.api.account_verify_credentials().id
    bob_id = bob.api.account_verify_credentials().id
    root_me = root.api.account_verify_credentials()
    push_private, push_public = alice.api.push_subscription_generate_keys()
    alice(
        "push_subscription_set", pushes.url, push_public, follow_events=True,
        favourite_events=True, reblog_events=True, mention_events=True, poll_events=True,
        follow_request_events=True, status_events=True, update_events=True,
        admin_sign_up_events=True, admin_report_events=True, policy="all",
    )  # fmt: skip

    # Some of everything.
    alice("account_update_credentials", note="Hedges.", fields=[("Site", "https://example.org")])
    bob("account_follow", alice_id)
    alice("account_follow", bob_id)
    root("account_follow", alice_id)
    media = alice("media_post", PNG_1x1, mime_type="image/png", description="A dot", focus=(0.5, 0))
    alice("media", media.id if media else 0)
    alice("media_update", media.id if media else 0, description="A dot, again")
    if av_files.HAVE_FFMPEG:  # a video and a sound: their MediaAttachment meta
        alice("media_post", av_files.mp4(seconds=1), mime_type="video/mp4")
        alice("media_post", av_files.ogg(seconds=1), mime_type="audio/ogg")
    poll = alice("make_poll", ["yes", "no"], expires_in=3600)
    asking = alice("status_post", "Hedges? #bocage", poll=poll)
    pictured = alice(
        "status_post",
        f"A dot for @bob #bocage https://example.org/{alice_id}",
        media_ids=[media.id] if media else None,
        spoiler_text="a dot",
        language="en",
    )
    linking = alice("status_post", f"Read this: {link}")
    if asking is None or pictured is None or linking is None:
        raise AssertionError("the node refused alice's posts: nothing to observe")
    carol("status_favourite", pictured.id)  # before bob and root: only ever a later sample
    reply = bob("status_post", "Hedgehog hedges!", in_reply_to_id=pictured.id)
    alice("status_update", pictured.id, "A dot for @bob, edited #bocage", media_ids=[media.id])
    bob("status_favourite", pictured.id)
    bob("status_reblog", pictured.id)
    bob("status_bookmark", pictured.id)
    root("status_favourite", pictured.id)
    root("status_reblog", pictured.id)
    alice("status_pin", pictured.id)
    bob("poll_vote", asking.poll.id, [0])
    alice("status_post", "Only for @bob", visibility="direct")
    alice(
        "status_post",
        "Later",
        scheduled_at=datetime.now(UTC) + timedelta(days=1),
        quoted_status_id=pictured.id,
        quote_approval_policy="followers",
    )
    created = alice("list_create", "Friends")
    bob("account_update_credentials", discoverable=True)
    alice("collection_create", "Gardeners", tag_name="bocage", account_ids=[bob_id])
    if created is not None:
        alice("list_accounts_add", created.id, [bob_id])
    alice(
        "create_filter_v2",
        "Hedgehogs",
        ["home", "public"],
        "warn",
        keywords_attributes=[{"keyword": "hedgehog", "whole_word": False}],
    )
    alice("featured_tag_create", "bocage")
    alice("account_pin", bob_id)
    alice("account_note_set", bob_id, "Met at the hedge")
    alice("markers_set", ["home"], [pictured.id])
    bob("report", alice_id, [pictured.id], "Just a test", forward=False)
    alice("tag_follow", "bocage")
    bob("account_mute", root_me.id)
    root("admin_create_domain_block", "blocked.example", severity="silence", public_comment="Spam")
    root("admin_create_domain_allow", "friends.example")
    root("admin_create_email_domain_block", "spam.example")
    root("admin_create_canonical_email_block", email="spammer@example.net")
    root("admin_create_ip_block", "192.0.2.0/24", "sign_up_block", "Docs", expires_in=86400)
    # Quote posts (4.5): bob quotes alice, root quotes bob's quote (whose quoted post then
    # carries a shallow quote), alice revokes another of root's.
    quoting = bob("status_post", "Quoting alice", quoted_status_id=pictured.id)
    if quoting is not None:
        root("status_post", "Quoting a quote", quoted_status_id=quoting.id)
        bob("status_update_quote_approval_policy", quoting.id, "followers")
    revoked = root("status_post", "Quoting alice too", quoted_status_id=pictured.id)
    if revoked is not None:
        alice("status_quote_revoke", pictured.id, revoked.id)

    announcement = (alice.api.announcements() or [None])[0]
    if announcement is not None:
        stream = UserStream(node, bob.api.access_token)
        try:
            alice("announcement_reaction_create", announcement.id, "\N{THUMBS UP SIGN}")
            for payload in _until(lambda: stream.heard("announcement.reaction"), bool):
                recorder.observations.walk("StreamReaction", payload)
        finally:
            stream.close()
    bob("account_update_credentials", discoverable=True)  # a suggestion for root
    # root filters mentions from people root does not follow: bob's is a request.
    root("update_notifications_policy", for_not_following="filter")
    bob("status_post", "@root a word from a stranger")

    _until(lambda: alice.api.notifications(), lambda page: len(page) >= 4)
    _until(lambda: root.api.notification_requests(), lambda page: len(page) >= 1)
    _until(lambda: pushes.received, bool)
    for headers, body in list(pushes.received):
        recorder.observations.walk("PushNotification", decrypted(headers, body, push_private))
    _until(lambda: alice.api.status(linking.id), lambda status: status.card is not None)
    _until(
        lambda: alice.api.timeline_home(), lambda page: reply and reply.id in {s.id for s in page}
    )

    # Every read, once.
    for client, name, args, kwargs in reads(alice, bob, root, alice_id, bob_id, pictured, asking,
                                            reply, created):  # fmt: skip
        client(name, *args, **kwargs)
    requests_of_root = root.api.notification_requests()
    if requests_of_root:
        root("notification_request", requests_of_root[0].id)
    root("notification_requests")
    root("suggestions_v2")
    root("admin_account", carol_id)
    alice.sent("oauth_userinfo", "GET", "/oauth/userinfo")
    # The link's card, on its post, trending, and in the moderators' list.
    alice("status", linking.id)
    alice("timeline_link", link)
    trending = root.api.admin_trending_links()
    if trending:
        root("admin_approve_trending_link", trending[0].id)
    if "-v" in sys.argv:
        print("\n".join(recorder.refused), file=sys.stderr)
    return recorder.observations.as_json()  # type: ignore[no-any-return]


def reads(
    alice: Client,
    bob: Client,
    root: Client,
    alice_id: Any,
    bob_id: Any,
    pictured: Any,
    asking: Any,
    reply: Any,
    created: Any,
) -> list[tuple[Client, str, tuple[Any, ...], dict[str, Any]]]:
    list_id = created.id if created is not None else 0
    collection_id = alice.api.account_collections(alice_id).collections[0].id
    filters = alice.api.filters_v2() if alice("filters_v2") is not None else []
    filter_id = filters[0].id if filters else 0
    notifications = alice.api.notifications()
    notification_id = notifications[0].id if notifications else 0
    scheduled = alice.api.scheduled_statuses()
    scheduled_id = scheduled[0].id if scheduled else 0
    calls: list[tuple[Client, str, tuple[Any, ...], dict[str, Any]]] = [
        (alice, "account", (alice_id,), {}),
        (alice, "accounts", ([alice_id, bob_id],), {}),
        (alice, "account_statuses", (alice_id,), {}),
        (alice, "account_statuses", (alice_id,), {"pinned": True}),
        (alice, "account_followers", (alice_id,), {}),
        (alice, "account_following", (alice_id,), {}),
        (bob, "account_relationships", ([alice_id],), {}),
        (bob, "account_familiar_followers", ([alice_id],), {}),
        (alice, "account_lists", (bob_id,), {}),
        (alice, "account_featured_tags", (alice_id,), {}),
        (alice, "account_lookup", ("bob",), {}),
        (alice, "account_search", ("bob",), {}),
        (alice, "status", (pictured.id,), {}),
        (alice, "status", (asking.id,), {}),
        (bob, "status", (pictured.id,), {}),
        (alice, "statuses", ([pictured.id, asking.id],), {}),
        (alice, "status_context", (pictured.id,), {}),
        (alice, "status_history", (pictured.id,), {}),
        (alice, "status_source", (pictured.id,), {}),
        (alice, "status_reblogged_by", (pictured.id,), {}),
        (alice, "status_favourited_by", (pictured.id,), {}),
        (alice, "status_quotes", (pictured.id,), {}),
        (alice, "poll", (asking.poll.id,), {}),
        (bob, "poll", (asking.poll.id,), {}),
        (alice, "timeline_home", (), {}),
        (bob, "timeline_home", (), {}),
        (alice, "timeline_public", (), {}),
        (alice, "timeline_hashtag", ("bocage",), {}),
        (alice, "timeline_list", (list_id,), {}),
        (bob, "bookmarks", (), {}),
        (bob, "favourites", (), {}),
        (alice, "notifications", (), {}),
        (alice, "notifications", (), {"id": notification_id}),
        (alice, "notifications_unread_count", (), {}),
        (alice, "grouped_notifications", (), {}),
        (alice, "notifications_policy", (), {}),
        (alice, "notification_requests", (), {}),
        (alice, "lists", (), {}),
        (alice, "list", (list_id,), {}),
        (alice, "list_accounts", (list_id,), {}),
        (alice, "markers_get", (["home", "notifications"],), {}),
        (alice, "preferences", (), {}),
        (alice, "annual_reports", (), {}),
        (alice, "filters_v2", (), {}),
        (alice, "filter_v2", (filter_id,), {}),
        (alice, "filter_keywords_v2", (filter_id,), {}),
        (alice, "filter_statuses_v2", (filter_id,), {}),
        (alice, "add_filter_status_v2", (filter_id, reply.id if reply else 0), {}),
        (alice, "filters", (), {}),
        (alice, "search_v2", ("bocage",), {}),
        (alice, "search_v2", ("bob",), {}),
        (bob, "conversations", (), {}),
        (alice, "scheduled_statuses", (), {}),
        (alice, "scheduled_status", (scheduled_id,), {}),
        (alice, "instance_v1", (), {}),
        (alice, "instance_v2", (), {}),
        (alice, "instance_rules", (), {}),
        (alice, "instance_activity", (), {}),
        (alice, "instance_extended_description", (), {}),
        (alice, "instance_domain_blocks", (), {}),
        (alice, "instance_languages", (), {}),
        (alice, "instance_terms_of_service", (), {}),
        (alice, "instance_nodeinfo", (), {}),
        (alice, "custom_emojis", (), {}),
        (alice, "announcements", (), {}),
        (alice, "directory", (), {}),
        (alice, "trending_tags", (), {}),
        (alice, "trending_statuses", (), {}),
        (alice, "trending_links", (), {}),
        (alice, "featured_tags", (), {}),
        (alice, "featured_tag_suggestions", (), {}),
        (alice, "endorsements", (), {}),
        (alice, "follow_requests", (), {}),
        (alice, "followed_tags", (), {}),
        (alice, "tag", ("bocage",), {}),
        (bob, "mutes", (), {}),
        (bob, "blocks", (), {}),
        (alice, "suggestions_v2", (), {}),
        (alice, "push_subscription", (), {}),
        (alice, "app_verify_credentials", (), {}),
        (alice, "oauth_authorization_server_info", (), {}),
        (alice, "profile", (), {}),
        (alice, "collection", (collection_id,), {}),
        (alice, "account_collections", (alice_id,), {}),
        (bob, "account_in_collections", (bob_id,), {}),
        (root, "admin_accounts_v2", (), {}),
        (root, "admin_account", (alice_id,), {}),
        (root, "admin_reports", (), {}),
        (root, "admin_domain_blocks", (), {}),
        (root, "admin_domain_allows", (), {}),
        (root, "admin_email_domain_blocks", (), {}),
        (root, "admin_canonical_email_blocks", (), {}),
        (root, "admin_ip_blocks", (), {}),
        (root, "admin_trending_tags", (), {}),
        (root, "admin_trending_statuses", (), {}),
        (root, "admin_trending_links", (), {}),
        (
            root,
            "admin_measures",
            (datetime.now(UTC) - timedelta(days=7), datetime.now(UTC)),
            {"active_users": True},
        ),
        (
            root,
            "admin_dimensions",
            (datetime.now(UTC) - timedelta(days=7), datetime.now(UTC)),
            {"languages": True},
        ),
        (root, "admin_retention", (datetime.now(UTC) - timedelta(days=7), datetime.now(UTC)), {}),
    ]
    return calls


def collect_on_new_node() -> dict[str, dict[str, str]]:
    """A node of its own, started for this and stopped after (for the script's --collect)."""
    with tempfile.TemporaryDirectory(prefix="bocage-coverage-") as root:
        node = start_node(Path(root), loopback(0, 6), USERS, {})
        try:
            return collect(node)
        finally:
            node.stop()

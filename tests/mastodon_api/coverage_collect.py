"""What a real node sends for each Mastodon entity: the field half of the coverage tables in
docs/mastodon_api.md (scripts/mastodon_coverage.py).

Alice, bob and root (an admin) make a little of everything through Mastodon.py (posts with a
poll, an image, a hashtag, a mention, a reply, an edit; follows, favourites, boosts, lists,
filters, a scheduled post, a direct message…), then every read Mastodon.py has is called once.
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
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import requests
from mastodon import Mastodon

from tests import av_files
from tests.addresses import loopback
from tests.federation.helpers import PASSWORD, start_node
from tests.processes import NodeProcess

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mastodon_coverage.py"
USERS = ["alice", "bob", "root*"]
SCOPES = ["read", "write", "follow", "push", "admin:read", "admin:write"]
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
        self.last: Any = None
        self.refused: list[str] = []

    def hook(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if self.recording and "json" in response.headers.get("content-type", ""):
            self.last = response.json() if response.ok else None

    @contextmanager
    def calling(self, name: str) -> Iterator[None]:
        self.recording, self.last = True, None
        try:
            yield
        finally:
            self.recording = False
        returns = self.methods[name].node.returns
        if returns is not None and self.last is not None:
            self.observations.walk(returns, self.last)


class Client:
    """A Mastodon.py client whose answers the recorder sees."""

    def __init__(self, node: NodeProcess, who: str, recorder: Recorder) -> None:
        self.recorder = recorder
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
        self.api.log_in(f"{who}@example.org", PASSWORD, scopes=SCOPES, allow_http=True)

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """`name` called, recorded; None if the node refused it."""
        with self.recorder.calling(name):
            try:
                return getattr(self.api, name)(*args, **kwargs)
            except Exception as error:  # an endpoint not there yet, or a refusal: not observed
                self.recorder.refused.append(f"{name}: {type(error).__name__} {error}")
                self.recorder.last = None
                return None


def _until(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 15.0) -> Any:
    """Feeds and notifications are written by background jobs just after the action."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def collect(node: NodeProcess) -> dict[str, dict[str, str]]:
    recorder = Recorder()
    alice = Client(node, "alice", recorder)
    bob = Client(node, "bob", recorder)
    root = Client(node, "root", recorder)
    me = alice("account_verify_credentials")
    bob_me = bob("account_verify_credentials")
    root_me = root("account_verify_credentials")
    if me is None or bob_me is None or root_me is None:
        raise AssertionError("the node refused to say who is logged in: nothing to observe")
    alice_id, bob_id = me.id, bob_me.id

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
    if asking is None or pictured is None:
        raise AssertionError("the node refused alice's posts: nothing to observe")
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

    _until(lambda: alice.api.notifications(), lambda page: len(page) >= 4)
    _until(
        lambda: alice.api.timeline_home(), lambda page: reply and reply.id in {s.id for s in page}
    )

    # Every read, once.
    for client, name, args, kwargs in reads(alice, bob, root, alice_id, bob_id, pictured, asking,
                                            reply, created):  # fmt: skip
        client(name, *args, **kwargs)
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
        (alice, "oauth_userinfo", (), {}),
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

"""A block holds through every face, as Mastodon's rules have it: the blocked account, local
or remote, cannot see, fetch, reply to, like, boost or mention-notify the one who blocked it,
and the blocker sees nothing of the blocked either (their posts, boosts of their posts, their
notifications).

Each test acts as the blocked party would: a local account through the Mastodon API with
its own token and through the web pages (in process, both databases); its streams on a real
node; a remote account on its own server (tests/outsider.py) speaking signed HTTP to a real
node, with authorized fetch off and on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import select, update

from bocage.core.auth import oauth
from bocage.kernel.clock import now
from bocage.node import Node
from bocage.store.models import Account, Job, LogEntry, Poll, User
from tests.activitypub.helpers import deliver, know_remote_actor, signed_headers
from tests.addresses import loopback
from tests.core import helpers
from tests.databases import DatabaseFactory, postgres_available
from tests.federation.helpers import eventually, prepare_node
from tests.integration.helpers import api_token, backend_env
from tests.outsider import AS_JSON, Outsider
from tests.processes import NodeProcess, running
from tests.web.conftest import Browser, browser, web_node

pytestmark = pytest.mark.xdist_group("federation/test_blocks")

__all__ = ["browser", "web_node"]
# The real nodes, mallory's (and fern's) server, and a server where nobody is blocked.
OPEN_HOST, OUTSIDE_HOST, AUTHORIZED_HOST = loopback(7, 1), loopback(7, 2), loopback(7, 3)
ELSEWHERE_HOST = loopback(7, 4)

# --- one node, in process (both databases) --------------------------------------------------


@dataclass
class Local:
    """A local account and a Mastodon API client holding its token."""

    account: Account
    api: httpx.AsyncClient

    @property
    def id(self) -> str:
        return str(self.account.id)

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.api.get(path, params=params)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def post(self, path: str, **data: Any) -> httpx.Response:
        return await self.api.post(path, json=data)

    async def publish(self, text: str, **extra: Any) -> str:
        answer = await self.post("/api/v1/statuses", status=text, **extra)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["id"])


def _token(node: Node, account: Account) -> str:
    with node.db.transaction() as session:
        app = oauth.register_app(session, "blocks", [], "read write follow", None)
        user = session.query(User).filter(User.account_id == account.id).one()
        return oauth.token_for_new_user(session, app, user)[0]


def _api(node: Node, token: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=node.app, client=("127.0.0.1", 50000))  # type: ignore[attr-defined]
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://127.0.0.1:8000",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def people(browser: Browser) -> AsyncIterator[dict[str, Local]]:
    node = browser.node
    found: dict[str, Local] = {}
    for name in ("alice", "bob", "carol"):
        account = helpers.user(node, name)
        found[name] = Local(account, _api(node, _token(node, account)))
    yield found
    for person in found.values():
        await person.api.aclose()


async def settle(node: Node) -> None:
    """Every job done (fan-out, notifications, conversations), as the worker would."""
    await node.worker.run_until_idle()


def ids(statuses: list[dict[str, Any]]) -> set[str]:
    """The ids of the statuses shown, boosts and the posts they boost alike."""
    shown = {status["id"] for status in statuses}
    return shown | {status["reblog"]["id"] for status in statuses if status.get("reblog")}


@dataclass
class Scene:
    """Alice blocked Bob after Bob followed her, liked, bookmarked and was mentioned in her
    posts, and after Bob mentioned her; Carol follows both and boosts and replies to Alice."""

    word = "blackthorn"  # in each of Alice's posts, and in nobody else's
    before: str  # Alice's public #hedgerow post from before the block (Bob liked it)
    private: str  # Alice's followers-only post from before the block
    direct: str  # Alice's direct message to Bob from before the block
    poll: str  # Alice's poll (public)
    after: str  # Alice's public #hedgerow post mentioning Bob, after the block
    boost: str  # Carol's boost of `after`
    carols_reply: str  # Carol's public reply to `after`
    bobs_mention: str  # Bob's public post mentioning Alice, before the block
    bobs_after: str  # Bob's public #hedgerow post mentioning Alice, after the block


async def blocked_scene(node: Node, alice: Local, bob: Local, carol: Local) -> Scene:
    follows = ((bob, alice), (carol, alice), (alice, carol), (carol, bob), (bob, carol))
    for follower, target in follows:
        assert (await follower.post(f"/api/v1/accounts/{target.id}/follow")).status_code == 200
    before = await alice.publish("Before the block #hedgerow blackthorn")
    private = await alice.publish("Followers only, blackthorn", visibility="private")
    direct = await alice.publish("@bob a secret about blackthorn", visibility="direct")
    poll = await alice.publish(
        "Blackthorn or hawthorn?", poll={"options": ["sloes", "haws"], "expires_in": 3600}
    )
    bobs_mention = await bob.publish("@alice I like your hedges")
    await settle(node)
    for verb in ("favourite", "bookmark"):
        assert (await bob.post(f"/api/v1/statuses/{before}/{verb}")).status_code == 200
    assert (await alice.post(f"/api/v1/statuses/{bobs_mention}/favourite")).status_code == 200
    await settle(node)

    blocked = await alice.post(f"/api/v1/accounts/{bob.id}/block")
    assert blocked.status_code == 200 and blocked.json()["blocking"] is True

    after = await alice.publish("After the block #hedgerow blackthorn @bob")
    boost = (await carol.post(f"/api/v1/statuses/{after}/reblog")).json()["id"]
    carols_reply = await carol.publish("@alice lovely", in_reply_to_id=after)
    assert (await carol.post(f"/api/v1/statuses/{after}/favourite")).status_code == 200
    bobs_after = await bob.publish("@alice after your block #hedgerow")
    await settle(node)
    return Scene(
        before, private, direct, poll, after, boost, carols_reply, bobs_mention, bobs_after
    )


async def test_the_blocked_account_sees_none_of_the_blockers_posts_through_the_api(
    browser: Browser, people: dict[str, Local]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    scene = await blocked_scene(browser.node, alice, bob, carol)
    hers = {scene.before, scene.private, scene.direct, scene.poll, scene.after}
    leaks: list[str] = []  # every face that shows Bob something of Alice's

    # Timelines: home (Carol, whom Bob follows, boosted her), public, local, hashtag…
    for path, params in (
        ("/api/v1/timelines/home", {}),
        ("/api/v1/timelines/public", {}),
        ("/api/v1/timelines/public", {"local": "true"}),
        ("/api/v1/timelines/tag/hedgerow", {}),
        ("/api/v1/trends/statuses", {}),
        ("/api/v1/favourites", {}),
        ("/api/v1/bookmarks", {}),
        (f"/api/v1/accounts/{alice.id}/statuses", {}),
        (f"/api/v1/accounts/{alice.id}/statuses", {"pinned": "true"}),
    ):
        if ids(await bob.get(path, **params)) & hers:
            leaks.append(f"{path} {params}")
    assert scene.carols_reply in ids(await bob.get("/api/v1/timelines/home"))  # Carol's own
    # Alice's posts, one by one, and what is said about them: as if they did not exist.
    for post_id in sorted(hers):
        for suffix in ("", "/context", "/favourited_by", "/reblogged_by", "/history"):
            answer = await bob.api.get(f"/api/v1/statuses/{post_id}{suffix}")
            if answer.status_code != 404 or answer.json() != {"error": "Record not found"}:
                leaks.append(f"/api/v1/statuses/{post_id}{suffix}: {answer.status_code}")
    thread = await bob.get(f"/api/v1/statuses/{scene.carols_reply}/context")
    if ids(thread["ancestors"]) & hers:
        leaks.append("the context of Carol's reply")
    poll_id = (await alice.get(f"/api/v1/statuses/{scene.poll}"))["poll"]["id"]
    if (await bob.api.get(f"/api/v1/polls/{poll_id}")).status_code != 404:
        leaks.append("her poll")
    # Search: her posts Bob liked, bookmarked or was mentioned in, by words and by URL.
    if ids((await bob.get("/api/v2/search", q="blackthorn", type="statuses"))["statuses"]) & hers:
        leaks.append("search by words")
    url = (await alice.get(f"/api/v1/statuses/{scene.before}"))["uri"]
    if (await bob.get("/api/v2/search", q=url, resolve="true"))["statuses"]:
        leaks.append("search by URL")
    # Notifications and conversations: what she sent him before the block goes with it.
    notified = await bob.get("/api/v1/notifications")
    if [n["type"] for n in notified if n["account"]["id"] == alice.id]:
        leaks.append(f"notifications {[n['type'] for n in notified]}")
    if await bob.get("/api/v1/conversations"):
        leaks.append("conversations")
    # Her network is hers to hide from him, as Mastodon hides it.
    for which in ("followers", "following"):
        if await bob.get(f"/api/v1/accounts/{alice.id}/{which}"):
            leaks.append(which)
    assert not leaks, "Bob is shown: " + "; ".join(leaks)


async def test_the_blocked_account_cannot_act_on_the_blockers_posts(
    browser: Browser, people: dict[str, Local]
) -> None:
    """Favourite, boost, bookmark, reply, vote, follow: refused as Mastodon refuses them,
    with a message; a mention reaches her neither as a notification nor in her home."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    scene = await blocked_scene(browser.node, alice, bob, carol)
    for verb in ("favourite", "reblog", "bookmark"):
        answer = await bob.post(f"/api/v1/statuses/{scene.after}/{verb}")
        assert (answer.status_code, answer.json()) == (404, {"error": "Record not found"}), verb
    for parent in (scene.after, scene.before):
        answer = await bob.post("/api/v1/statuses", status="@alice hi", in_reply_to_id=parent)
        assert answer.status_code == 404 and "not allowed to see it" in answer.json()["error"]
    poll_id = (await alice.get(f"/api/v1/statuses/{scene.poll}"))["poll"]["id"]
    voted = await bob.post(f"/api/v1/polls/{poll_id}/votes", choices=[0])
    assert voted.status_code == 404
    followed = await bob.post(f"/api/v1/accounts/{alice.id}/follow")
    assert followed.status_code == 403 and followed.json()["error"] == (
        "You cannot follow this account."
    )
    counted = await alice.get(f"/api/v1/statuses/{scene.after}")
    # Carol's favourite, boost and reply; nothing of Bob's.
    assert (counted["favourites_count"], counted["reblogs_count"]) == (1, 1)
    assert counted["replies_count"] == 1
    # Bob's mentions of her: no notification (before the block she heard of the first one,
    # which the block hides too), nothing in her home.
    notified = await alice.get("/api/v1/notifications")
    assert [n["type"] for n in notified if n["account"]["id"] == bob.id] == []
    assert {n["account"]["id"] for n in notified} == {carol.id}
    assert not ids(await alice.get("/api/v1/timelines/home")) & {
        scene.bobs_mention,
        scene.bobs_after,
    }


async def test_the_blocked_account_sees_none_of_the_blockers_posts_on_the_web(
    browser: Browser, people: dict[str, Local]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    scene = await blocked_scene(browser.node, alice, bob, carol)
    assert (await browser.login("bob")).status_code == 303
    pages = ["/home", "/local", "/tags/hedgerow", "/@alice", "/@alice?replies=1", "/favourites",
             "/bookmarks", "/notifications", f"/@carol/{scene.carols_reply}"]  # fmt: skip
    leaks = []
    for path in pages:
        answer = await browser.get(path)
        assert answer.status_code == 200, path
        if Scene.word in answer.text:
            leaks.append(path)
    for path in ("/@alice/followers", "/@alice/following"):  # Carol is on both
        if 'class="name" href="/@carol"' in (await browser.get(path)).text:
            leaks.append(path)
    for post_id in (scene.before, scene.after, scene.direct):
        for path in (f"/@alice/{post_id}", f"/posts/{post_id}", f"/posts/{post_id}/history"):
            answer = await browser.get(path)
            if answer.status_code != 404 or Scene.word in answer.text:
                leaks.append(f"{path}: {answer.status_code}")
    assert not leaks, "Bob is shown: " + "; ".join(leaks)
    # Acting on her posts from their pages: refused, with the reason, nothing written.
    for verb in ("like", "boost", "bookmark"):
        answer = await browser.post(f"/posts/{scene.after}/{verb}")
        assert answer.status_code == 404 and "not allowed to see it" in answer.text, verb
    replied = await browser.post(
        "/posts", {"text": "@alice hi", "visibility": "public", "in_reply_to_id": scene.after}
    )
    assert replied.status_code == 404 and "not allowed to see it" in replied.text
    followed = await browser.post("/@alice/follow")
    assert followed.status_code == 403 and "You cannot follow this account." in followed.text
    counted = await alice.get(f"/api/v1/statuses/{scene.after}")
    assert (counted["favourites_count"], counted["reblogs_count"]) == (1, 1)


async def test_the_blocker_sees_nothing_of_the_blocked(
    browser: Browser, people: dict[str, Local]
) -> None:
    """The other way round, as Mastodon: Bob's posts, boosts of them and notifications from
    him are hidden from Alice, who blocked him."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    scene = await blocked_scene(browser.node, alice, bob, carol)
    his = {scene.bobs_mention, scene.bobs_after}
    carols_boost = (await carol.post(f"/api/v1/statuses/{scene.bobs_after}/reblog")).json()
    await settle(browser.node)
    leaks = []
    for path, params in (
        ("/api/v1/timelines/home", {}),
        ("/api/v1/timelines/public", {}),
        ("/api/v1/timelines/tag/hedgerow", {}),
        ("/api/v1/trends/statuses", {}),
        ("/api/v1/favourites", {}),
        (f"/api/v1/accounts/{bob.id}/statuses", {}),
        (f"/api/v1/accounts/{carol.id}/statuses", {}),
    ):
        if ids(await alice.get(path, **params)) & his:
            leaks.append(f"{path} {params}")
    if carols_boost["id"] in ids(await alice.get("/api/v1/timelines/home")):
        leaks.append("Carol's boost of Bob's post")
    for post_id in his:
        if (await alice.api.get(f"/api/v1/statuses/{post_id}")).status_code != 404:
            leaks.append(f"/api/v1/statuses/{post_id}")
    notified = await alice.get("/api/v1/notifications")
    if bob.id in {n["account"]["id"] for n in notified}:
        leaks.append(f"notifications {[n['type'] for n in notified]}")
    assert (await browser.login("alice")).status_code == 303
    for path in ("/home", "/notifications", "/tags/hedgerow", "/local"):
        if "after your block" in (await browser.get(path)).text:
            leaks.append(path)
    assert not leaks, "Alice is shown: " + "; ".join(leaks)


async def test_a_poll_of_the_blocker_stops_reaching_a_voter_it_blocked(
    browser: Browser, people: dict[str, Local]
) -> None:
    """Two remote accounts voted on Alice's poll (signed HTTP to her inbox); she then
    blocked one. Her poll's final counts go to the other voter, never to the blocked one."""
    node, alice = browser.node, people["alice"]
    voters = [know_remote_actor(node, f"http://{OUTSIDE_HOST}:9/users/{name}")
              for name in ("mallory", "fern")]  # fmt: skip
    poll = await alice.publish(
        "Sloe or haw?", poll={"options": ["sloe", "haw"], "expires_in": 3600}
    )
    question = (await alice.get(f"/api/v1/statuses/{poll}"))["uri"]
    for voter in voters:
        vote = {"id": f"{voter.uri}#votes/1", "type": "Note", "name": "sloe",
                "attributedTo": voter.uri, "inReplyTo": question}  # fmt: skip
        to = {"to": alice.account.uri}
        body = orjson.dumps(activity(voter.uri, "Create", vote | to, **to))
        headers = signed_headers(body, key_id=f"{voter.uri}#main-key")
        assert (await deliver(browser, body, headers)).status_code == 202
    await settle(node)
    assert (await alice.get(f"/api/v1/statuses/{poll}"))["poll"]["votes_count"] == 2
    assert (await alice.post(f"/api/v1/accounts/{voters[0].id}/block")).status_code == 200
    with node.db.transaction() as session:  # the poll's end comes (its closing job is due)
        session.execute(update(Poll).values(expires_at=now() - timedelta(seconds=1)))
        session.execute(update(Job).where(Job.kind == "poll.close").values(run_after=now()))
    await settle(node)
    with node.db.snapshot() as session:
        final = session.execute(
            select(LogEntry.seq).where(
                LogEntry.account_id == alice.account.id,
                LogEntry.activity_type == "Update",
                LogEntry.object_id == question,
            )
        ).scalar_one()
        queued = [job.payload["inbox"] for job in session.scalars(select(Job).where(
            Job.kind == "deliver")) if job.payload["seq"] == final]  # fmt: skip
    assert queued == [f"{voters[1].uri}/inbox"]


# --- real nodes, a remote account on its own server -------------------------------------------


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory
) -> Iterator[dict[str, NodeProcess]]:
    """Two real nodes, started side by side: one serving fetches to anyone (SQLite), one in
    authorized-fetch mode (on PostgreSQL when it answers)."""
    root = tmp_path_factory.mktemp("blocks")
    database = backend_env("postgresql", databases) if postgres_available() else {}
    plans = {
        "open": (OPEN_HOST, ["alice", "bob", "carol"], {}),
        "authorized": (AUTHORIZED_HOST, ["alice"], {**database, "BOCAGE_AUTHORIZED_FETCH": "1"}),
    }
    made = {mode: prepare_node(root, *plan) for mode, plan in plans.items()}
    with running(*made.values()):
        yield made


@pytest.fixture
async def outside() -> AsyncIterator[Outsider]:
    """mallory's server (fern lives there too, and nobody blocks her)."""
    server = await Outsider(OUTSIDE_HOST, ("mallory", "fern")).start()
    yield server
    await server.close()


class Api:
    """A local person's Mastodon API client on a real node."""

    def __init__(self, node: NodeProcess, token: str) -> None:
        self.node = node
        self.client = httpx.AsyncClient(
            base_url=node.url, timeout=20.0, headers={"Authorization": f"Bearer {token}"}
        )

    @classmethod
    async def of(cls, node: NodeProcess, username: str) -> Api:
        async with httpx.AsyncClient(base_url=node.url, timeout=20.0) as anonymous:
            return cls(node, await api_token(anonymous, username))

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.client.get(path, params=params)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def post(self, path: str, **data: Any) -> Any:
        answer = await self.client.post(path, json=data)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def close(self) -> None:
        await self.client.aclose()


def activity(actor: str, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/{kind.lower()}s/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
    }


def received(server: Outsider, name: str, kind: str) -> list[dict[str, Any]]:
    """The activities of type `kind` delivered (and accepted) at `name`'s inbox."""
    found = [orjson.loads(seen.body) for seen in server.requests("POST", f"/users/{name}/inbox")]
    return [document for document in found if document.get("type") == kind]


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def arrival(
    server: Outsider, name: str, kind: str, about: str | None = None
) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    """For `eventually`: those of `received` whose object (or its id) is `about`, if given."""

    async def check() -> list[dict[str, Any]]:
        found = received(server, name, kind)
        if about is None:
            return found
        return [d for d in found if about in (d["object"], _id_of(d["object"]))]

    return check


@dataclass
class Blocked:
    """Alice on `node` was followed by mallory and fern, published `post` (pinned, with a
    featured hashtag), then blocked mallory (known here as `mallory_id`)."""

    alice: Api
    alice_uri: str
    post: dict[str, Any]
    mallory: str
    fern: str
    mallory_id: str


async def mallory_blocked(node: NodeProcess, server: Outsider) -> Blocked:
    alice_uri = f"{node.url}/users/alice"
    mallory, fern = server.actor("mallory"), server.actor("fern")
    for follower in (mallory, fern):
        sent = await server.send(
            "POST",
            f"{alice_uri}/inbox",
            f"{follower}#main-key",
            activity(follower, "Follow", alice_uri),
        )
        assert sent[0] == 202, sent
    for name in ("mallory", "fern"):
        await eventually(arrival(server, name, "Accept"), what=f"the Accept of {name}'s follow")
    alice = await Api.of(node, "alice")
    post = await alice.post("/api/v1/statuses", status="Hedges of #hedgerow for all")
    await alice.post(f"/api/v1/statuses/{post['id']}/pin")
    if not await alice.get("/api/v1/featured_tags"):  # the node is shared by the module
        await alice.post("/api/v1/featured_tags", name="hedgerow")
    me = await alice.get("/api/v1/accounts/verify_credentials")
    followers = await alice.get(f"/api/v1/accounts/{me['id']}/followers")
    mallory_id = next(a["id"] for a in followers if a["acct"].startswith("mallory@"))
    blocked = await alice.post(f"/api/v1/accounts/{mallory_id}/block")
    assert blocked["blocking"] is True
    return Blocked(alice, alice_uri, post, mallory, fern, mallory_id)


@pytest.fixture
async def elsewhere() -> AsyncIterator[Outsider]:
    """Another server, where nobody is blocked."""
    server = await Outsider(ELSEWHERE_HOST, ("gale",)).start()
    yield server
    await server.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["open", "authorized"])
async def test_signed_fetches_of_the_blockers_posts_and_collections_get_404(
    nodes: dict[str, NodeProcess], outside: Outsider, elsewhere: Outsider, mode: str
) -> None:
    """As Mastodon answers a blocked account's signed fetch: 404, whether the node asks every
    fetch for a signature or not. Fern, on mallory's server, is refused too: a server shows
    what it fetches to all its people (its instance actor fetches for them), mallory too.
    Another server is served as before."""
    node = nodes[mode]
    scene = await mallory_blocked(node, outside)
    gale_key = f"{elsewhere.actor('gale')}#main-key"
    status, text = await elsewhere.send("GET", scene.post["uri"], gale_key)
    assert status == 200, text
    note = orjson.loads(text)
    assert "Hedges of" in note["content"]
    documents = [
        note["id"],
        f"{note['id']}/replies",
        note["context"],
        f"{scene.alice_uri}/outbox",
        f"{scene.alice_uri}/outbox?page=true",
        f"{scene.alice_uri}/followers",
        f"{scene.alice_uri}/following",
        f"{scene.alice_uri}/collections/featured",
        f"{scene.alice_uri}/collections/tags",
    ]
    for url in documents:
        for key in (f"{scene.mallory}#main-key", f"{scene.fern}#main-key"):
            status, text = await outside.send("GET", url, key)
            assert status == 404, f"{url} for {key}: {status} {text[:200]}"
            assert "Hedges of" not in text and "hedgerow" not in text.lower()
        assert (await elsewhere.send("GET", url, gale_key))[0] == 200, url
    async with httpx.AsyncClient(headers={"Accept": AS_JSON}) as anyone:
        for url in documents:
            answer = await anyone.get(url)
            assert answer.status_code == (401 if mode == "authorized" else 200), url
    # Her actor stays readable by everyone: its key is what checks her signatures.
    assert (await outside.send("GET", scene.alice_uri, f"{scene.mallory}#main-key"))[0] == 200
    await scene.alice.close()


def verdicts(node: NodeProcess, activity_ids: list[str]) -> dict[str, tuple[str, str]]:
    """What became of each inbound activity (outcome, reason), once all have one."""
    with closing(sqlite3.connect(node.data / "bocage.db")) as db:
        rows = db.execute(
            "SELECT activity_id, outcome, reason FROM inbound_activities"
            f" WHERE activity_id IN ({','.join('?' * len(activity_ids))})",
            activity_ids,
        ).fetchall()
    found = {activity_id: (outcome, reason or "") for activity_id, outcome, reason in rows}
    return found if len(found) == len(activity_ids) and all(o for o, _ in found.values()) else {}


@pytest.mark.slow
async def test_a_blocked_remote_account_is_heard_but_reaches_nobody(
    nodes: dict[str, NodeProcess], outside: Outsider
) -> None:
    """mallory's reply, mention, direct message, like, boost and follow: each accepted (202,
    nothing lost, each with its verdict), none of them seen by alice, counted on her post,
    or notified; the follow is answered with a Reject."""
    node = nodes["open"]
    scene = await mallory_blocked(node, outside)
    post_uri, mallory = scene.post["uri"], scene.mallory
    mention = {"type": "Mention", "href": scene.alice_uri}
    public = "https://www.w3.org/ns/activitystreams#Public"

    def note(text: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"{mallory}/notes/{uuid.uuid4().hex}", "type": "Note",
            "attributedTo": mallory, "content": f"<p>{text}</p>", "tag": [mention],
            "published": datetime.now(UTC).isoformat(timespec="seconds"), **extra,
        }  # fmt: skip

    sent = [
        activity(mallory, "Create", note("@alice a reply", inReplyTo=post_uri, to=[public],
                                          cc=[scene.alice_uri])),
        activity(mallory, "Create", note("@alice hello #hedgerow", to=[public],
                                          cc=[scene.alice_uri])),
        activity(mallory, "Create", note("@alice just us", to=[scene.alice_uri])),
        activity(mallory, "Like", post_uri),
        activity(mallory, "Announce", post_uri, to=[public]),
        activity(mallory, "Follow", scene.alice_uri),
    ]  # fmt: skip
    for document in sent:
        status, text = await outside.send(
            "POST", f"{scene.alice_uri}/inbox", f"{mallory}#main-key", document
        )
        assert status == 202, f"{document['type']}: {status} {text}"

    async def settled_all() -> dict[str, tuple[str, str]]:
        return verdicts(node, [document["id"] for document in sent])

    settled = await eventually(settled_all, what="a verdict for each of mallory's activities")
    outcomes = [settled[document["id"]][0] for document in sent]
    assert outcomes == ["applied"] * 3 + ["refused"] * 3, settled
    follow_id = sent[-1]["id"]
    rejected = await eventually(
        arrival(outside, "mallory", "Reject", follow_id), what="the Reject of mallory's follow"
    )
    assert rejected[0]["actor"] == scene.alice_uri

    alice = scene.alice
    shown = await alice.get(f"/api/v1/statuses/{scene.post['id']}")
    assert (shown["favourites_count"], shown["reblogs_count"]) == (0, 0)
    thread = await alice.get(f"/api/v1/statuses/{scene.post['id']}/context")
    assert thread["descendants"] == []
    leaks = []
    for path in ("/api/v1/timelines/home", "/api/v1/timelines/public",
                 "/api/v1/timelines/tag/hedgerow", "/api/v1/notifications",
                 "/api/v1/conversations"):  # fmt: skip
        if "mallory" in orjson.dumps(await alice.get(path)).decode():
            leaks.append(path)
    assert not leaks, "alice is shown mallory's doings on " + ", ".join(leaks)
    await alice.close()


def deliveries_of(node: NodeProcess, uri: str) -> set[str]:
    """The inboxes the node queued the Create of its post `uri` for."""
    with closing(sqlite3.connect(node.data / "bocage.db")) as db:
        rows = db.execute(
            "SELECT json_extract(jobs.payload, '$.inbox') FROM jobs JOIN log_entries ON"
            " log_entries.account_id = json_extract(jobs.payload, '$.account_id')"
            " AND log_entries.seq = json_extract(jobs.payload, '$.seq')"
            " WHERE jobs.kind = 'deliver' AND log_entries.activity_type = 'Create'"
            " AND log_entries.object_id = ?",
            (uri,),
        ).fetchall()
    return {inbox for (inbox,) in rows}


@pytest.mark.slow
async def test_the_blockers_posts_never_reach_the_blocked_account(
    nodes: dict[str, NodeProcess], outside: Outsider
) -> None:
    """Even when she names him: a post never mentions someone its author blocks (Mastodon's
    ProcessMentionsService), so it is neither addressed nor delivered to mallory; fern,
    named beside him, gets it. mallory was told of the block itself, as Mastodon tells."""
    node = nodes["open"]
    scene = await mallory_blocked(node, outside)
    handle = f"@{{}}@{outside.host}:{outside.port}"
    text = f"{handle.format('mallory')} {handle.format('fern')} look at the hedges"
    posted = await scene.alice.post("/api/v1/statuses", status=text)
    assert [m["username"] for m in posted["mentions"]] == ["fern"]
    delivered = await eventually(
        arrival(outside, "fern", "Create", posted["uri"]), what="alice's post at fern's inbox"
    )
    assert scene.mallory not in delivered[0]["object"]["cc"] + delivered[0]["object"]["to"]
    # Fern got it: the post's deliveries were all queued then, in one transaction.
    queued = deliveries_of(node, posted["uri"])  # (fern of other tests' servers too)
    assert f"{scene.fern}/inbox" in queued
    assert [inbox for inbox in queued if "/users/mallory/" in inbox] == []
    created = [c["object"]["id"] for c in received(outside, "mallory", "Create")]
    assert posted["uri"] not in created
    assert [b["object"] for b in received(outside, "mallory", "Block")] == [scene.mallory]
    await scene.alice.close()


class Listener:
    """A streaming client on one WebSocket, several streams (as Mastodon's web app)."""

    def __init__(self, node: NodeProcess, api: Api) -> None:
        self.url = node.url.replace("http://", "ws://") + "/api/v1/streaming"
        self.token = api.client.headers["Authorization"].removeprefix("Bearer ")
        self.heard: list[tuple[str, str, Any]] = []  # (stream, event, payload)
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self, *subscriptions: dict[str, str]) -> Listener:
        self._socket = await websockets.connect(f"{self.url}?access_token={self.token}")
        for subscription in subscriptions:
            await self._socket.send(orjson.dumps({"type": "subscribe", **subscription}).decode())
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for text in self._socket:
            message = orjson.loads(text)
            payload = message.get("payload")
            parsed = orjson.loads(payload) if payload and payload[0] in "[{" else payload
            self.heard.append((message["stream"][0], message["event"], parsed))

    def updates(self, stream: str) -> list[dict[str, Any]]:
        return [p for s, event, p in self.heard if s == stream and event == "update"]

    async def until_heard(self, post_id: str, streams: list[str]) -> None:
        async def heard() -> bool:
            return all(post_id in ids(self.updates(stream)) for stream in streams)

        await eventually(heard, within=10.0, what=f"{post_id} on {streams}")

    async def close(self) -> None:
        await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


@pytest.mark.slow
async def test_streams_carry_nothing_across_a_block(nodes: dict[str, NodeProcess]) -> None:
    """Bob's user, public, hashtag and list streams never carry Alice's posts (not even her
    mention of him, nor Carol's boost of them) once she blocked him; hers never carry his
    (not even his mention of her), nor a notification from him."""
    node = nodes["open"]
    alice, bob, carol = [await Api.of(node, name) for name in ("alice", "bob", "carol")]
    me = {name: (await api.get("/api/v1/accounts/verify_credentials"))["id"]
          for name, api in (("alice", alice), ("bob", bob), ("carol", carol))}  # fmt: skip
    for follower, target in ((bob, "alice"), (bob, "carol"), (carol, "alice"), (carol, "bob"),
                             (alice, "carol")):  # fmt: skip
        await follower.post(f"/api/v1/accounts/{me[target]}/follow")
    carols = await bob.post("/api/v1/lists", title="Carol and whoever she boosts")
    await bob.post(f"/api/v1/lists/{carols['id']}/accounts", account_ids=[me["carol"]])
    await alice.post(f"/api/v1/accounts/{me['bob']}/block")
    tag = {"stream": "hashtag", "tag": "hedgerow"}
    bobs_streams = ["user", "public:local", "hashtag", "list"]
    for_bob = await Listener(node, bob).open(
        {"stream": "user"},
        {"stream": "public:local"},
        tag,
        {"stream": "list", "list": carols["id"]},
    )
    for_alice = await Listener(node, alice).open(
        {"stream": "user"}, {"stream": "public:local"}, tag
    )
    try:
        ready = await carol.post("/api/v1/statuses", status="Ready #hedgerow")
        await for_bob.until_heard(ready["id"], bobs_streams)
        await for_alice.until_heard(ready["id"], ["user", "public:local", "hashtag"])

        hers = await alice.post("/api/v1/statuses", status="@bob #hedgerow blackthorn for carol")
        boost = await carol.post(f"/api/v1/statuses/{hers['id']}/reblog")
        his = await bob.post("/api/v1/statuses", status="@alice #hedgerow hawthorn from bob")

        async def fanned_out() -> bool:  # to Carol's feed, so streamed (or not) by now
            return {hers["id"], boost["id"], his["id"]} <= ids(
                await carol.get("/api/v1/timelines/home")
            )

        await eventually(fanned_out, what="the posts in carol's home")
        done = await carol.post("/api/v1/statuses", status="Done #hedgerow")
        await for_bob.until_heard(done["id"], bobs_streams)
        await for_alice.until_heard(done["id"], ["user", "public:local", "hashtag"])
    finally:
        await for_bob.close()
        await for_alice.close()
        for api in (alice, bob, carol):
            await api.close()
    to_bob = {stream: ids(for_bob.updates(stream)) for stream in bobs_streams}
    assert {stream: shown & {hers["id"], boost["id"]} for stream, shown in to_bob.items()} == {
        stream: set() for stream in bobs_streams
    }
    to_alice = [(stream, event) for stream, event, payload in for_alice.heard
                if his["id"] in orjson.dumps(payload).decode()]  # fmt: skip
    assert to_alice == []
    from_bob = [p["type"] for _, event, p in for_alice.heard
                if event == "notification" and p["account"]["id"] == me["bob"]]  # fmt: skip
    assert from_bob == []

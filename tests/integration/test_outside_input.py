"""Outside input against a real `bocage serve`, on SQLite and on PostgreSQL: no answer is a
5xx, no connection is dropped, the node logs no unhandled error.

Every route of the app (web, Mastodon API, ActivityPub, peer gateway, OAuth, admin) is walked
with extreme ids in every path parameter and garbage in the parameters and bodies each route
reads (walk.py), as anonymous, as a user whose token has every scope (and who is logged in
on the web), as an admin (the admin pages), and as another server that signs its requests
(the inboxes and the peer gateway, from a server of the test's own: tests/outsider.py).

Then the parsers that take outside input are fuzzed through HTTP (Hypothesis): activities
signed by that server with any JSON in any field, mangled signature headers, WebFinger
resources asked of the node and WebFinger answers it gets, multipart uploads."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import yarl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bocage.app import create_app
from bocage.store.db import Database
from bocage.store.models import Job
from tests.activitypub.test_webfinger_fuzz import JRD as WEBFINGER_ANSWER
from tests.activitypub.test_webfinger_fuzz import RESOURCES
from tests.addresses import loopback
from tests.conftest import BACKENDS, make_settings
from tests.databases import DatabaseFactory
from tests.federation.helpers import CSRF_RE, PASSWORD, start_node
from tests.fuzz import JSON, mutated, payloads
from tests.integration import walk
from tests.integration.helpers import backend_env, settings_of
from tests.mastodon_api.sweep import parameters, served
from tests.outsider import Outsider
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("integration/test_outside_input")]
HOSTS = {"sqlite": loopback(3, 10), "postgresql": loopback(3, 11)}
SCOPES = "read write follow push profile admin:read admin:write"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
# Routes that would undo the walk itself if given real values: they get values that name
# nothing (their refusals are walked all the same).
UNDOING = {
    ("POST", "/logout"),  # the session the walk uses
    ("POST", "/settings/apps/{token_id:id}/revoke"),  # the token the walk uses
    ("POST", "/admin/accounts/{username}/suspend"),
    ("POST", "/admin/signups/{username}/reject"),
    ("POST", "/posts/{post_id:id}/delete"),
}
LOGGED_OUT_ONLY = {("POST", "/logout")}  # walked as anonymous only


@dataclass
class Caller:
    """Who sends a probe: a token, web cookies (with the CSRF field forms carry), or the
    signature of another server."""

    name: str
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    signer: Outsider | None = None


@dataclass
class Walked:
    node: NodeProcess
    env: dict[str, str]
    ids: dict[str, str]  # what each kind of path id names on this node
    callers: dict[str, Caller]
    outsider: Outsider


@pytest.fixture(scope="module", params=BACKENDS)
def walked(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    databases: DatabaseFactory,
) -> Iterator[Walked]:
    backend = request.param
    env = {
        **backend_env(backend, databases),
        "BOCAGE_API_REQUESTS_PER_WINDOW": "0",
        "BOCAGE_P2P_REQUESTS_PER_MINUTE": "1000000",
    }
    root = tmp_path_factory.mktemp(f"walk-{backend}")
    node = start_node(root, HOSTS[backend], ["alice", "root*"], env)
    outsider = Outsider(loopback(3, 12))
    try:
        with outsider.serving():
            alice, root_caller = _caller(node, "alice"), _caller(node, "root")
            ids = _objects(node, alice, root_caller)
            callers = {
                "anonymous": _caller(node, ""),
                "peer": Caller("peer", signer=outsider),
                "user": alice,
                "admin": root_caller,
            }
            yield Walked(node, env, ids, callers, outsider)
    finally:
        node.stop()


def _caller(node: NodeProcess, username: str) -> Caller:
    """Someone logged in on the web (cookies, CSRF) with a token that has every scope; with
    no name, someone who only visited a page (a CSRF cookie, nothing else)."""
    with httpx.Client(base_url=node.url, timeout=20.0) as web:
        csrf = CSRF_RE.search(web.get("/login").text)
        assert csrf
        if not username:
            return Caller("anonymous", cookies=dict(web.cookies), csrf=csrf[1])
        logged = web.post("/login", data={"login": username, "password": PASSWORD, "csrf": csrf[1]})
        assert logged.status_code == 303, logged.text[:300]
        app = web.post("/api/v1/apps", data={"client_name": "walk", "scopes": SCOPES}).json()
        token = web.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": username, "password": PASSWORD,
            "scope": SCOPES,
        }).json()  # fmt: skip
        assert "access_token" in token, token
        return Caller(username, token["access_token"], dict(web.cookies), csrf[1])


def _objects(node: NodeProcess, alice: Caller, root: Caller) -> dict[str, str]:
    """Real objects for the paths to name: alice's post with a poll, a list, a filter, a
    media, a scheduled post, a conversation, a notification, a featured tag."""
    auth = {"Authorization": f"Bearer {alice.token}"}
    with httpx.Client(base_url=node.url, timeout=20.0, headers=auth) as a:
        root_id = _ok(a.get("/api/v1/accounts/lookup", params={"acct": "root"}))["id"]
        post = _ok(a.post("/api/v1/statuses", data={
            "status": "walking #walk", "poll[options][]": ["yes", "no"],
            "poll[expires_in]": "3600",
        }))  # fmt: skip
        _ok(a.post("/api/v1/statuses", data={"status": "@root psst", "visibility": "direct"}))
        a_list = _ok(a.post("/api/v1/lists", data={"title": "walkers"}))
        a_filter = _ok(a.post("/api/v2/filters", json={
            "title": "f", "context": ["home"], "keywords_attributes": [{"keyword": "zz"}],
        }))  # fmt: skip
        filtered = _ok(a.post(f"/api/v2/filters/{a_filter['id']}/statuses",
                              data={"status_id": post["id"]}))  # fmt: skip
        media = _ok(a.post("/api/v2/media", files={"file": ("dot.png", PNG, "image/png")}))
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
        scheduled = _ok(a.post("/api/v1/statuses", data={"status": "later", "scheduled_at": later}))
        tag = _ok(a.post("/api/v1/featured_tags", data={"name": "walk"}))
        with httpx.Client(
            base_url=node.url, headers={"Authorization": f"Bearer {root.token}"}
        ) as r:
            _ok(
                r.post(
                    f"/api/v1/accounts/{_ok(a.get('/api/v1/accounts/verify_credentials'))['id']}/follow"
                )
            )
        notifications = _eventually(lambda: _ok(a.get("/api/v1/notifications")))
        conversations = _eventually(lambda: _ok(a.get("/api/v1/conversations")))
        actor = httpx.get(
            f"{node.url}/users/alice", headers={"accept": "application/activity+json"}
        )
        did = "did:key:" + actor.json()["assertionMethod"][0]["publicKeyMultibase"]
    return {
        "status": post["id"], "poll": post["poll"]["id"], "account": root_id,
        "list": a_list["id"], "filter": a_filter["id"],
        "keyword": a_filter["keywords"][0]["id"], "filter_status": filtered["id"],
        "media": media["id"], "scheduled": scheduled["id"], "tag": tag["id"],
        "notification": notifications[0]["id"], "conversation": conversations[0]["id"],
        "did": did, "post_path": f"users/alice/statuses/{post['id']}",
    }  # fmt: skip


def _ok(response: httpx.Response) -> Any:
    assert response.is_success, (
        f"{response.request.url} → {response.status_code} {response.text[:300]}"
    )
    return response.json()


def _eventually(probe: Any, within: float = 10.0) -> Any:
    end = time.monotonic() + within
    while not (found := probe()) and time.monotonic() < end:
        time.sleep(0.1)
    return found


# Which id each route's path names, by the start of its path (the first that matches).
ID_OF = [
    ("/api/v1/statuses/", "status"), ("/api/v1/polls/", "poll"), ("/api/v1/lists/", "list"),
    ("/api/v1/timelines/list/", "list"), ("/api/v2/filters/keywords/", "keyword"),
    ("/api/v2/filters/statuses/", "filter_status"), ("/api/v2/filters/", "filter"),
    ("/api/v1/filters/", "filter"), ("/api/v1/media/", "media"),
    ("/api/v1/scheduled_statuses/", "scheduled"), ("/api/v1/conversations/", "conversation"),
    ("/api/v1/notifications/", "notification"), ("/api/v1/featured_tags/", "tag"),
    ("/api/v1/", "account"), ("/posts/", "status"), ("/@", "status"), ("/users/", "status"),
    ("/follow-requests/", "account"),
]  # fmt: skip
NAMED = {"username": "alice", "tag": "walk", "hashtag": "walk", "version": "2.1",
         "path": "nowhere", "key": "nothing", "token": "nothing", "code": "nothing"}  # fmt: skip


def filler(walked: Walked, method: str) -> walk.Fill:
    ids = walked.ids

    def fill(app_path: str, name: str) -> str:
        undoing = (method, app_path) in UNDOING or (
            method == "DELETE" and app_path.endswith("}")  # deletes the thing it names
        )
        if undoing:
            return "1" if name.endswith("id") else "nothing"
        if name == "did":
            return ids["did"]
        if name == "path" and app_path.startswith("/.well-known/apgateway/"):
            return ids["post_path"]
        if name in NAMED:
            return NAMED[name]
        return next((ids[kind] for start, kind in ID_OF if app_path.startswith(start)), "1")

    return fill


# ----------------------------------------------------------------------------- walking

FACES = {
    "api": lambda path: path.startswith(("/api/", "/oauth/", "/.well-known/oauth")),
    "federation": lambda path: path.startswith(
        ("/.well-known/", "/users/", "/inbox", "/actor", "/nodeinfo")
    ),
}


def _face(path: str) -> str:
    return next((face for face, has in FACES.items() if has(path)), "web")


@cache
def _served() -> list[tuple[str, str]]:
    """(METHOD, path) of every HTTP route of the app, and of its static files."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = make_settings(Path(scratch), f"sqlite:///{scratch}/unused.db")
        app = create_app(settings, run_worker=False)
    found = [(m, p) for m, p in served(app.router.routes) if m != "WEBSOCKET"]
    return [*found, ("GET", "/static/{path:path}")]  # the Mount of static files


def _routes(face: str) -> list[tuple[str, str]]:
    return [(m, p) for m, p in _served() if _face(p) == face]


def _who(method: str, app_path: str) -> list[str]:
    if (method, app_path) in LOGGED_OUT_ONLY:
        return ["anonymous"]
    if app_path.startswith("/admin"):
        return ["anonymous", "user", "admin"]
    if app_path.startswith(("/inbox", "/.well-known/apgateway")) or app_path.endswith("/inbox"):
        return ["anonymous", "peer"]
    return ["anonymous", "user"]


@dataclass
class Batch:
    """The probes of one route sent by one caller. A stranger's probes with bodies are
    `gated`: once the route answers the first of them "log in first" (401, 403, a redirect
    to /login), the others would be refused the same way unread, and are not sent."""

    caller: Caller
    probes: list[walk.Probe]
    gated: bool = False


@pytest.mark.parametrize("face", ["api", "web", "federation"])
def test_no_route_answers_a_5xx_to_extreme_ids_and_garbage(walked: Walked, face: str) -> None:
    contracts = walk.Contracts()
    batches: list[Batch] = []
    for method, app_path in _routes(face):
        names = contracts.names(method, app_path)
        made = walk.probes(method, app_path, filler(walked, method), names, json=face != "web")
        for who in _who(method, app_path):
            caller = walked.callers[who]
            plain = [p for p in made if not (p.form or p.body)]
            bodies = [p for p in made if p.form or p.body]
            batches += [Batch(caller, plain), Batch(caller, bodies, gated=who == "anonymous")]
    logged = len(walked.node.log())
    started = time.monotonic()
    sent, failures = asyncio.run(_send_all(walked.node.url, batches))
    took = time.monotonic() - started
    crashes = [line for line in walked.node.log()[logged:].splitlines()
               if "unhandled error" in line or "Exception in ASGI application" in line]  # fmt: skip
    assert not failures, f"{len(failures)} of {sent} requests failed ({took:.0f} s):\n" + (
        "\n".join(failures[:60])
    )
    assert not crashes, "\n".join(crashes[:20])
    assert sent > 500, sent


async def _send_all(base: str, batches: list[Batch]) -> tuple[int, list[str]]:
    """Sends every batch, six requests at a time; (requests sent, what went wrong)."""
    failures: list[str] = []
    sent = 0
    limit = asyncio.Semaphore(6)
    sessions: dict[str, aiohttp.ClientSession] = {}

    async def one(caller: Caller, probe: walk.Probe) -> int:
        nonlocal sent
        async with limit:
            status, problem = await _send(sessions[caller.name], base, caller, probe)
            sent += 1
        if problem:
            failures.append(f"[{caller.name}] {probe} → {problem}")
        return status

    async def batch(each: Batch) -> None:
        probes = each.probes
        if each.gated and probes:
            if await one(each.caller, probes[0]) in (401, 403, 302, 303):
                return
            probes = probes[1:]
        await asyncio.gather(*(one(each.caller, probe) for probe in probes))

    try:
        for caller in {each.caller.name: each.caller for each in batches}.values():
            sessions[caller.name] = _session(caller)
        await asyncio.gather(*(batch(each) for each in batches))
    finally:
        for session in sessions.values():
            await session.close()
    return sent, failures


def _session(caller: Caller) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        cookies=caller.cookies,
        cookie_jar=aiohttp.CookieJar(unsafe=True, quote_cookie=False),
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=6),
        # Link headers repeat the query they were asked with, a 5,000-digit one too.
        max_line_size=65536,
        max_field_size=65536,
    )


async def _send(
    session: aiohttp.ClientSession, base: str, caller: Caller, probe: walk.Probe
) -> tuple[int, str | None]:
    """The status of the answer to `probe`, and what is wrong with it (None: nothing)."""
    body, headers = _body(caller, probe)
    url = yarl.URL(base + probe.target, encoded=True)
    if caller.token:
        headers["Authorization"] = f"Bearer {caller.token}"
    if caller.signer is not None:
        headers = caller.signer.signed(probe.method, base + probe.target, body, headers=headers)
    for attempt in range(2):
        try:
            async with session.request(
                probe.method, url, data=body, headers=headers, allow_redirects=False
            ) as answer:
                text = b"" if "event-stream" in answer.content_type else await answer.read()
                if answer.status >= 500:
                    return answer.status, f"{answer.status} {text[:200]!r}"
                return answer.status, None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as dropped:
            if attempt:
                return 0, f"connection dropped: {dropped!r}"
        except TimeoutError:
            return 0, "no answer within 30 s"
        except aiohttp.ClientError as failed:
            return 0, f"unreadable answer: {failed!r}"[:300]
    return 0, None


def _body(caller: Caller, probe: walk.Probe) -> tuple[bytes | None, dict[str, str]]:
    if probe.form is not None:
        form = [*probe.form, ("csrf", caller.csrf)] if caller.csrf else list(probe.form)
        encoded = walk.encode(form).encode()
        return encoded, {"content-type": "application/x-www-form-urlencoded"}
    if probe.body is not None:
        return probe.body, {"content-type": probe.content_type}
    return None, {}


def test_the_walk_covers_every_route_and_every_path_parameter() -> None:
    """Nothing served is left out of the walk: every route of every face, every parameter
    of every path replaced by each extreme value."""
    walked_routes = [route for face in ("api", "web", "federation") for route in _routes(face)]
    assert sorted(walked_routes) == sorted(_served()) and len(walked_routes) > 200
    probes = walk.probes("GET", "/users/{username}/statuses/{post_id:id}", lambda _a, _n: "1", [])
    paths = {probe.path for probe in probes}
    for name in parameters("/users/{username}/statuses/{post_id:id}"):
        assert len([p for p in paths if p.startswith("/users/1/statuses/")]) >= len(walk.EXTREME)
        assert name


# ------------------------------------------------------------ the parsers, fuzzed over HTTP

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds(walked: Walked) -> list[dict[str, Any]]:
    """Real activities (Mastodon's), as if the outside server had sent them: its actor, ids
    on its host."""
    text = json.dumps(
        payloads(
            "mastodon/create_note_public.json",
            "mastodon/like.json",
            "mastodon/create_question.json",
            "mastodon/announce.json",
        )
    )
    text = re.sub(r"https://[a-z0-9.\-]+/users/[A-Za-z0-9_]+", f"{walked.outsider.url}/actor", text)
    return json.loads(re.sub(r"https://[a-z0-9.\-]+/", f"{walked.outsider.url}/", text))


@FUZZ
@given(data=st.data())
def test_any_activity_an_outside_server_signs_is_taken_or_refused(
    walked: Walked, data: st.DataObject
) -> None:
    """What the inbox answers (202, or 4xx with its reason) whatever the signed activity
    holds; the inbox's jobs then fail only on what cannot be fetched (checked below)."""
    seeds = _seeds(walked)
    document = data.draw(mutated(seeds, ["id", "type", "actor", "object", "to", "cc"]))
    body = json.dumps(document).encode()
    scheme = data.draw(st.sampled_from(["cavage", "rfc9421"]))
    path = data.draw(st.sampled_from(["/inbox", "/users/alice/inbox"]))
    url = walked.node.url + path
    headers = walked.outsider.signed(
        "POST", url, body, scheme=scheme, headers={"content-type": "application/activity+json"}
    )
    answer = httpx.post(url, content=body, headers=headers, timeout=30)
    assert answer.status_code in (202, 400, 401, 403, 404, 410, 413), answer.text[:300]


def test_the_inbox_jobs_fail_only_on_what_cannot_be_fetched(walked: Walked) -> None:
    """After the fuzzing above: every job the activities queued has run; none failed on
    anything but a fetch (the outside server serves no objects)."""
    db = Database(settings_of(walked.node.data, walked.env).effective_database_url)
    try:

        def jobs() -> list[Any]:
            with db.snapshot() as session:
                return list(session.execute(select(Job.kind, Job.state, Job.attempts,
                                                   Job.run_after, Job.last_error)))  # fmt: skip

        deadline = time.monotonic() + 30
        while any(state == "queued" and not attempts and due <= datetime.now(UTC)
                  for _kind, state, attempts, due, _error in jobs()):  # fmt: skip
            assert time.monotonic() < deadline, "the inbox jobs did not run"
            time.sleep(0.2)
        crashed = [(kind, error) for kind, _s, _a, _d, error in jobs()
                   if error and "Traceback" in error and "FetchError" not in error]  # fmt: skip
        assert crashed == [], "\n\n".join(f"{kind}: {error}" for kind, error in crashed[:5])
        assert any(kind == "inbox.process" for kind, *_rest in jobs())
    finally:
        db.close()


@FUZZ
@given(data=st.data())
def test_any_signature_headers_are_checked_or_refused(walked: Walked, data: st.DataObject) -> None:
    seed = _seeds(walked)[1]
    document = {**seed, "id": f"{walked.outsider.url}/likes/{data.draw(st.uuids())}"}
    body = json.dumps(document).encode()
    url = walked.node.url + "/inbox"
    scheme = data.draw(st.sampled_from(["cavage", "rfc9421"]))
    headers = walked.outsider.signed("POST", url, body, scheme=scheme)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        name = data.draw(st.sampled_from([*sorted(headers), "Authorization", "Content-Digest"]))
        value = headers.get(name, "")
        at = data.draw(st.integers(min_value=0, max_value=len(value)))
        piece = data.draw(HEADER_TEXT)
        cut = at + data.draw(st.integers(0, 8))
        headers[name] = (value[:at] + piece + value[cut:]).strip()  # as a server reads it
    answer = httpx.post(url, content=body, headers=headers, timeout=30)
    assert answer.status_code in (202, 400, 401, 403), answer.text[:300]


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@FUZZ
@given(RESOURCES)
def test_any_webfinger_resource_names_someone_or_nobody(walked: Walked, resource: str) -> None:
    answer = httpx.get(
        f"{walked.node.url}/.well-known/webfinger", params={"resource": resource}, timeout=30
    )
    assert answer.status_code in (200, 400, 404, 410), answer.text[:300]


@FUZZ
@given(data=st.data())
def test_any_webfinger_answer_of_another_server_is_understood_or_not(
    walked: Walked, data: st.DataObject
) -> None:
    """alice looks someone up on the outside server, which answers any JRD at all."""
    jrd = data.draw(st.one_of(mutated([WEBFINGER_ANSWER], ["links"]), JSON))
    walked.outsider.documents["/.well-known/webfinger"] = jrd
    name = data.draw(st.from_regex(r"[a-z]{1,12}", fullmatch=True))
    host = f"{walked.outsider.host}:{walked.outsider.port}"
    answer = httpx.get(
        f"{walked.node.url}/api/v2/search",
        params={"q": f"@{name}@{host}", "resolve": "true", "type": "accounts"},
        headers={"Authorization": f"Bearer {walked.callers['user'].token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:300]


PART_HEADERS = st.sampled_from(
    [
        'form-data; name="file"; filename="a.png"',
        'form-data; name="description"',
        'form-data; name="csrf"',
        'form-data; name="avatar"; filename="x"',
        'form-data; name=""',
        "form-data",
        "form-data; name=\"file\"; filename*=UTF-8''%FF%FE",
        'attachment; x="',
        'form-data; name="display_name"',
        'form-data; name="status"',
        'form-data; name="media_ids[]"',
    ]
)
PART = st.tuples(
    st.one_of(PART_HEADERS, st.text(max_size=30)),
    st.sampled_from(["image/png", "image/jpeg", "text/plain", "", "video/mp4", "x/\x7f"]),
    st.one_of(st.binary(max_size=200), st.just(PNG), st.just(b"\xff\xfe\x00bad utf-8")),
)


@st.composite
def multipart(draw: st.DrawFn, csrf: str) -> tuple[bytes, str]:
    """A multipart body (well formed or not) and its content type."""
    boundary = draw(st.sampled_from(["XyZ", "", "a" * 80, "--", "b;c"]))
    parts = []
    for disposition, kind, content in draw(st.lists(PART, max_size=4)):
        head = f"Content-Disposition: {disposition}\r\n"
        head += f"Content-Type: {kind}\r\n" if kind else ""
        parts.append(f"--{boundary}\r\n{head}\r\n".encode("utf-8", "surrogatepass") + content)
    if draw(st.booleans()):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}'.encode()
        )
    end = draw(st.sampled_from([f"\r\n--{boundary}--\r\n", "", "\r\n--", f"--{boundary}"]))
    body = b"\r\n".join(parts) + end.encode()
    declared = draw(
        st.sampled_from(
            [
                f"multipart/form-data; boundary={boundary}",
                "multipart/form-data",
                "multipart/form-data; boundary=",
                'multipart/form-data; boundary="unclosed',
            ]
        )
    )
    return body, declared


@FUZZ
@given(data=st.data())
def test_any_multipart_upload_is_taken_or_refused(walked: Walked, data: st.DataObject) -> None:
    user = walked.callers["user"]
    body, kind = data.draw(multipart(user.csrf))
    method, path = data.draw(
        st.sampled_from(
            [
                ("POST", "/api/v2/media"),
                ("POST", "/api/v1/media"),
                ("POST", "/api/v1/statuses"),
                ("PATCH", "/api/v1/accounts/update_credentials"),
                ("POST", "/settings/profile"),
                ("POST", "/posts"),
            ]
        )
    )
    answer = httpx.request(
        method,
        walked.node.url + path,
        content=body,
        cookies=user.cookies,
        headers={"content-type": kind, "Authorization": f"Bearer {user.token}"},
        timeout=30,
    )
    assert answer.status_code < 500, answer.text[:300]


def test_what_the_fuzzing_found_is_refused_with_a_reason(walked: Walked) -> None:
    """Requests the fuzzing above found answered with a 500 (on PostgreSQL, or on both)."""
    outsider, base = walked.outsider, walked.node.url
    create = _seeds(walked)[0]

    def signed_post(document: dict[str, Any], key_id: str | None = None) -> httpx.Response:
        body = json.dumps(document).encode()
        headers = outsider.signed("POST", f"{base}/inbox", body, scheme="cavage")
        if key_id is not None:
            headers["Signature"] = headers["Signature"].replace(outsider.key_id(), key_id)
        return httpx.post(f"{base}/inbox", content=body, headers=headers, timeout=30)

    too_long = signed_post({**create, "id": f"{outsider.url}/{'a' * 600}"})  # > the column
    assert too_long.status_code == 400 and "at most 500" in too_long.text
    nul = signed_post({**create, "id": f"{outsider.url}/nul",
                       "object": {**create["object"], "content": "a\x00b"}})  # fmt: skip
    assert nul.status_code == 400 and "NUL" in nul.text
    bracket = signed_post({**create, "id": "https://mas-]x/1"})  # urlsplit's ValueError
    assert bracket.status_code == 400 and "not on its actor's server" in bracket.text
    spaced = signed_post(create, key_id=f"{outsider.url}/act or#main-key")  # unsignable URL
    assert spaced.status_code == 401
    resource = f"acct:%00@{walked.node.host}:{walked.node.port}"  # decoded twice: a NUL
    finger = httpx.get(f"{base}/.well-known/webfinger", params={"resource": resource})
    assert finger.status_code == 404

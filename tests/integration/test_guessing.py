"""Guessing passwords and mass sign-ups, as an outside attacker does it: against a real
`bocage serve`, from real loopback source addresses (block 2 of tests/addresses.py), through
every face that takes a password (the web log-in form, an app's `POST /oauth/token` password
grant, the password change form) and both sign-up paths (the web form, `POST /api/v1/accounts`
with a fresh app and token per request). The node trusts one reverse proxy (PROXY) and nobody
else's X-Forwarded-For.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.addresses import loopback
from tests.federation.helpers import CSRF_RE, PASSWORD, start_node
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("integration/test_guessing")]
HOST = loopback(2, 1)
PROXY = loopback(2, 17)
PER_LOGIN_PER_HOUR = 9


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    started = start_node(
        tmp_path_factory.mktemp("guessing"),
        HOST,
        ["alice", "bob", "carol", "dave", "erin", "frank", "gina"],
        {
            "BOCAGE_LOGIN_ATTEMPTS_PER_LOGIN_PER_HOUR": str(PER_LOGIN_PER_HOUR),
            "BOCAGE_TRUSTED_PROXIES": f'["{PROXY}"]',
        },
    )
    try:
        yield started
    finally:
        started.stop()


def client(node: NodeProcess, source: str) -> httpx.Client:
    """A client whose connections come from `source`, as a machine at that address."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=node.url, transport=transport, timeout=30.0)


def new_app(node: NodeProcess, source: str) -> dict[str, str]:
    with client(node, source) as http:
        app = http.post("/api/v1/apps", data={"client_name": "guesser", "scopes": "read write"})
    assert app.status_code == 200, app.text
    return {"client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"]}


def password_grant(
    http: httpx.Client, app: dict[str, str], login: str, password: str, **headers: str
) -> httpx.Response:
    form = {**app, "grant_type": "password", "username": login, "password": password,
            "scope": "read"}  # fmt: skip
    return http.post("/oauth/token", data=form, headers=headers)


def web_login(http: httpx.Client, login: str, password: str) -> httpx.Response:
    page = http.get("/login")
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF field on /login"
    form = {"login": login, "password": password, "csrf": match.group(1)}
    return http.post("/login", data=form)


def assert_told_to_wait(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) > 0


def test_a_hundred_wrong_passwords_through_the_token_endpoint_are_cut_off(
    node: NodeProcess,
) -> None:
    """The attack that worked: 100 guesses at alice's password through the password grant,
    20 at a time, with no 429. Now five are checked and the others refused unchecked (counted
    when they start, so the concurrent ones cannot all slip through)."""
    app = new_app(node, loopback(2, 11))
    with client(node, loopback(2, 11)) as attacker, ThreadPoolExecutor(20) as pool:
        started = time.monotonic()
        answers = list(
            pool.map(
                lambda i: password_grant(attacker, app, "alice@example.org", f"guess {i}"),
                range(100),
            )
        )
        elapsed = time.monotonic() - started
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(400) == 5 and statuses.count(429) == 95, statuses
        for answer in answers:
            if answer.status_code == 400:
                assert answer.json()["error"] == "invalid_grant"
                continue
            assert_told_to_wait(answer)
            body = answer.json()
            assert body["error"] == "too_many_attempts"
            assert "Please wait" in body["error_description"]
        assert elapsed < 20, f"refusals cost no password check ({elapsed:.1f}s)"
        # Even the right password waits, from there.
        assert_told_to_wait(password_grant(attacker, app, "alice@example.org", PASSWORD))
    # alice herself, elsewhere, is not locked out.
    with client(node, loopback(2, 12)) as home:
        assert password_grant(home, app, "alice@example.org", PASSWORD).status_code == 200


def test_one_limiter_for_every_face_and_others_behind_the_same_address_are_not_locked_out(
    node: NodeProcess,
) -> None:
    """Five wrong passwords for bob on the web form from a family's NAT address: bob's sixth
    try through the OAuth password grant is refused too (one limiter for every face), but
    dave behind the same address still logs in, on the web and through an app."""
    app = new_app(node, loopback(2, 13))
    with client(node, loopback(2, 13)) as nat:
        assert [web_login(nat, "bob", "wrong").status_code for _ in range(5)] == [401] * 5
        assert_told_to_wait(password_grant(nat, app, "bob@example.org", "still wrong"))
        refused = web_login(nat, "bob", PASSWORD)
        assert_told_to_wait(refused)
        assert "Too many failed log-ins" in refused.text
        assert password_grant(nat, app, "dave@example.org", PASSWORD).status_code == 200
        assert web_login(nat, "dave", PASSWORD).status_code == 303


def test_spraying_one_login_from_many_addresses_trips_the_per_login_limit(
    node: NodeProcess,
) -> None:
    """An attacker rotating addresses stays under the per-address limit (3 guesses each) but
    not under the per-login one: once carol had 9 failures this hour, a new address is told to
    wait, even with the right password (our choice: a slower per-login limit with
    Retry-After, never a lock), while carol at the address she logged in from before gets in."""
    app = new_app(node, loopback(2, 20))
    with client(node, loopback(2, 20)) as home:
        assert web_login(home, "carol", PASSWORD).status_code == 303
    failures = 0
    for last in range(21, 21 + PER_LOGIN_PER_HOUR // 3):
        with client(node, loopback(2, last)) as attacker:
            for i in range(3):
                answer = password_grant(attacker, app, "carol", f"spray {last}.{i}")
                assert answer.status_code == 400, answer.text
                failures += 1
    assert failures == PER_LOGIN_PER_HOUR
    with client(node, loopback(2, 40)) as fresh:
        refused = password_grant(fresh, app, "carol", "one more guess")
        assert_told_to_wait(refused)
        assert "lately" in refused.json()["error_description"]
        assert_told_to_wait(password_grant(fresh, app, "carol", PASSWORD))
        assert_told_to_wait(web_login(fresh, "carol", PASSWORD))
    with client(node, loopback(2, 20)) as home:
        assert password_grant(home, app, "carol", PASSWORD).status_code == 200
        assert web_login(home, "carol", PASSWORD).status_code == 303


def test_the_current_password_asked_before_a_change_is_limited_too(node: NodeProcess) -> None:
    """Someone with erin's open session guessing her current password on the password form."""
    with client(node, loopback(2, 14)) as borrowed:
        assert web_login(borrowed, "erin", PASSWORD).status_code == 303
        answers = []
        for i in range(6):
            page = borrowed.get("/settings/password")
            csrf = CSRF_RE.search(page.text)
            assert csrf
            answers.append(
                borrowed.post(
                    "/settings/password",
                    data={"current": f"guess {i}", "new": "a new password", "csrf": csrf.group(1)},
                )
            )
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert_told_to_wait(answers[5])


def test_x_forwarded_for_counts_only_from_the_trusted_proxy(node: NodeProcess) -> None:
    """A spoofed X-Forwarded-For from anywhere else changes nothing: the attacker is counted
    by the address it connects from. From the trusted proxy, each forwarded client counts on
    its own."""
    app = new_app(node, loopback(2, 15))
    with client(node, loopback(2, 15)) as spoofer:
        answers = [
            password_grant(spoofer, app, "frank", "wrong", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(6)
        ]
    assert [a.status_code for a in answers] == [400] * 5 + [429]
    with client(node, PROXY) as proxy:
        first = [
            password_grant(proxy, app, "gina", "wrong", **{"X-Forwarded-For": "203.0.113.1"})
            for _ in range(6)
        ]
        assert [a.status_code for a in first] == [400] * 5 + [429]
        other = password_grant(proxy, app, "gina", PASSWORD, **{"X-Forwarded-For": "203.0.113.2"})
        assert other.status_code == 200, other.text


def test_unknown_logins_answer_as_slowly_as_known_ones(node: NodeProcess) -> None:
    """Timing does not tell which logins exist: an unknown login's password is checked
    against a dummy hash. Each try comes from its own address, so no limit interferes."""
    app = new_app(node, loopback(2, 60))
    known, unknown = [], []
    for i in range(5):
        for login, times in (("dave", known), (f"nobody{i}", unknown)):
            with client(node, loopback(2, 61 + len(known) + len(unknown))) as prober:
                started = time.perf_counter()
                assert password_grant(prober, app, login, "wrong").status_code == 400
                times.append(time.perf_counter() - started)
    assert statistics.median(unknown) >= 0.5 * statistics.median(known), (known, unknown)


def test_sign_ups_are_counted_per_address_whatever_the_token(node: NodeProcess) -> None:
    """The attack: a fresh app and token for every sign-up (and a spoofed X-Forwarded-For),
    200 accounts in 80 s. Now the sixth sign-up from one address within 30 minutes is refused,
    through the API and the web form alike; another address still signs up."""

    def sign_up(source: str, name: str, spoof: str) -> httpx.Response:
        app = new_app(node, source)
        with client(node, source) as http:
            token = http.post(
                "/oauth/token",
                data={**app, "grant_type": "client_credentials", "scope": "write"},
            ).json()["access_token"]
            form = {"username": name, "email": f"{name}@example.org", "password": "long enough pw",
                    "agreement": "true", "reason": "I garden"}  # fmt: skip
            headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": spoof}
            return http.post("/api/v1/accounts", data=form, headers=headers)

    answers = [sign_up(loopback(2, 16), f"bulk{i}", f"198.51.100.{i}") for i in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5, [a.text for a in answers]
    assert_told_to_wait(answers[5])
    assert "Too many sign-ups" in answers[5].json()["error"]
    with client(node, loopback(2, 16)) as http:
        page = http.get("/register")
        csrf = CSRF_RE.search(page.text)
        assert csrf
        form = {"username": "bulkweb", "email": "bulkweb@example.org",
                "password": "long enough pw", "reason": "I garden", "agree": "on",
                "csrf": csrf.group(1)}  # fmt: skip
        assert_told_to_wait(http.post("/register", data=form))
    assert sign_up(loopback(2, 18), "neighbour", "198.51.100.99").status_code == 200


def test_the_node_logs_no_error(node: NodeProcess) -> None:
    log = node.log()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]

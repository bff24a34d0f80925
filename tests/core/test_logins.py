"""The login limits' rules one by one (the attacks themselves, against a real node:
tests/integration/test_guessing.py), and the dummy hash that makes unknown logins as slow as
known ones."""

from __future__ import annotations

import statistics
import time
from typing import Literal

import pytest
from argon2 import PasswordHasher

from bocage.core.accounts import passwords
from bocage.core.auth.logins import ADDRESS_FACTOR, Attempt, LoginLimits
from bocage.kernel.errors import NotAuthenticated, RateLimited
from bocage.kernel.ratelimit import SlidingWindow, address_key
from bocage.node import Node
from tests.conftest import PASSWORD, make_user


def attempt(address: str, login: str) -> Attempt:
    return Attempt(address_key(address), login)


def fail(limits: LoginLimits, address: str, login: str, times: int) -> None:
    for _ in range(times):
        limits.begin(attempt(address, login))


def test_addresses_are_counted_by_ipv4_address_and_ipv6_slash_64() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key(None) == "unknown"


def test_failures_for_one_login_do_not_lock_out_another_at_the_same_address() -> None:
    limits = LoginLimits(attempts=5, window_seconds=300, per_login_per_hour=50)
    fail(limits, "203.0.113.1", "#1", 5)
    with pytest.raises(RateLimited, match="for this account from here"):
        limits.begin(attempt("203.0.113.1", "#1"))
    limits.begin(attempt("203.0.113.1", "#2"))  # same address, another person
    limits.begin(attempt("203.0.113.2", "#1"))  # same person, elsewhere


def test_a_success_forgets_its_failures_and_is_not_counted() -> None:
    limits = LoginLimits(attempts=3, window_seconds=300, per_login_per_hour=4)
    fail(limits, "203.0.113.1", "#1", 2)
    ok = attempt("203.0.113.1", "#1")
    limits.begin(ok)
    limits.succeeded(ok)
    fail(limits, "203.0.113.1", "#1", 2)  # the window starts again
    # Per login: the two failures before the success and two after; the success is not one.
    with pytest.raises(RateLimited, match="lately"):
        limits.begin(attempt("203.0.113.9", "#1"))


def test_spraying_a_login_from_many_addresses_is_bounded_but_not_where_it_logged_in() -> None:
    limits = LoginLimits(attempts=5, window_seconds=300, per_login_per_hour=12)
    home = attempt("198.51.100.1", "#1")
    limits.begin(home)
    limits.succeeded(home)
    for last in range(10, 14):
        fail(limits, f"203.0.113.{last}", "#1", 3)
    with pytest.raises(RateLimited, match="lately") as refused:
        limits.begin(attempt("203.0.113.99", "#1"))
    assert 3590 < refused.value.retry_after <= 3600  # never a lock for good
    limits.begin(home)  # where it logged in before: only its own window counts


def test_one_address_trying_many_logins_is_bounded_but_not_for_logins_known_there() -> None:
    limits = LoginLimits(attempts=2, window_seconds=300, per_login_per_hour=50)
    regular = attempt("203.0.113.1", "#7")
    limits.begin(regular)
    limits.succeeded(regular)
    for index in range(2 * ADDRESS_FACTOR // 2):
        fail(limits, "203.0.113.1", f"stranger{index}", 2)
    with pytest.raises(RateLimited, match="from here"):
        limits.begin(attempt("203.0.113.1", "someone else"))
    limits.begin(regular)


def test_a_window_bounded_in_keys_forgets_ended_windows_first() -> None:
    window = SlidingWindow(1, 300, max_keys=10)
    window.hit("active")
    for index in range(20):
        window.hit(f"key{index}")
    assert len(window._hits) <= 11
    with pytest.raises(RateLimited):  # the newest keys are kept
        window.check("key19")


async def test_an_unknown_login_runs_the_password_hasher(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the dummy hash, an unknown login answered at once: the time told who exists."""
    make_user(node, "alice")
    calls: list[str] = []

    class Counting(PasswordHasher):  # the real hasher, counting its checks
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    with pytest.raises(NotAuthenticated):
        await node.logins.log_in(node.db, "127.0.2.90", "nobody", "whatever")
    with pytest.raises(NotAuthenticated):
        await node.logins.log_in(node.db, "127.0.2.90", "nobody@example.org", "whatever")
    with pytest.raises(NotAuthenticated):
        await node.logins.log_in(node.db, "127.0.2.90", "alice", "wrong")
    assert len(calls) == 3
    # The dummy hash has the real hashes' parameters (so it costs as much).
    assert calls[0].split("$")[:4] == calls[2].split("$")[:4]
    assert (await node.logins.log_in(node.db, "127.0.2.90", "alice", PASSWORD)).id


async def test_unknown_and_known_logins_take_about_as_long(node: Node) -> None:
    make_user(node, "alice")
    known, unknown = [], []
    for index in range(6):
        for login, times in (("alice", known), (f"nobody{index}", unknown)):
            started = time.perf_counter()
            with pytest.raises(NotAuthenticated):
                await node.logins.log_in(node.db, f"127.0.2.{100 + index}", login, "wrong")
            times.append(time.perf_counter() - started)
    assert statistics.median(unknown) >= 0.5 * statistics.median(known), (known, unknown)

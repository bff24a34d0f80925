"""Checking a password, whichever face it is typed into: the web log-in form, an app's OAuth
password grant (`POST /oauth/token`), the current password asked before changing it or moving
the account. One rule against guessing, so no face is a way around it.

Failed attempts are counted three ways (in memory, per process; an attempt counts when it
starts, so a hundred sent at once are counted before any is checked, and is taken back if
the password was right). A login is counted as the account it names, however it is spelled
(username, e-mail address, any case), and as typed when it names nobody:

- per address and login: `login_attempts_per_window` per `login_window_seconds` (5 per
  5 minutes). Always applies: the same address guessing the same login.
- per login, from anywhere: `login_attempts_per_login_per_hour` (50): spraying one account
  from many addresses (Mastodon counts 25 an hour per e-mail address, GitLab locks an
  account for 10 minutes after 10 failures).
- per address, for any login: 10 × the first, per window: one address trying many accounts.

An address is an IPv4 address or an IPv6 /64 (`ratelimit.address_key`). The last two limits
do not apply where the login has logged in before (an address and login that succeeded
since this process started): someone guessing alice's password from elsewhere makes
strangers wait, with `Retry-After`, but not alice at home, and someone guessing at one
address behind a NAT does not lock out the others there. Nothing is ever locked for good:
every refusal ends with its window. A success forgets the failures of its address and login.

Unknown logins are checked against a dummy Argon2 hash (`passwords.check_password`), so they
answer as slowly as known ones. Each check takes ~0.15 s of CPU and 64 MiB: they run off the
event loop, two at a time, after the limits (a refused attempt costs nothing).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.core.accounts.passwords import check_password
from bocage.kernel.errors import Forbidden, NotAuthenticated
from bocage.kernel.ratelimit import SlidingWindow, address_key
from bocage.store.models import AccountModeration, User

if TYPE_CHECKING:
    from bocage.store.db import Database

ADDRESS_FACTOR = 10  # one address may fail this many times the per-login attempts
CHECKS_AT_ONCE = 2  # Argon2 checks running at once (each takes 64 MiB)
KNOWN_PER_LOGIN = 8  # addresses remembered per login
MAX_LOGINS_KNOWN = 100_000
WRONG = "Wrong username, e-mail address or password."


@dataclass(frozen=True)
class Attempt:
    address: str  # `address_key` of the client
    login: str  # "#<user id>", or the login as typed (trimmed, lower-cased) if it names nobody

    @classmethod
    def of(cls, host: str | None, login: str, user: User | None) -> Attempt:
        key = f"#{user.id}" if user is not None else login.strip().lower()[:320]
        return cls(address_key(host), key)

    @property
    def pair(self) -> str:
        return f"{self.address} {self.login}"


class LoginLimits:
    """The three windows and the addresses each login succeeded from."""

    def __init__(self, attempts: int, window_seconds: float, per_login_per_hour: int) -> None:
        self.pairs = SlidingWindow(
            attempts, window_seconds, reason="Too many failed log-ins for this account from here"
        )
        self.logins = SlidingWindow(
            per_login_per_hour, 3600.0, reason="Too many failed log-ins for this account lately"
        )
        self.addresses = SlidingWindow(
            attempts * ADDRESS_FACTOR, window_seconds, reason="Too many failed log-ins from here"
        )
        self._known: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(
            settings.login_attempts_per_window,
            settings.login_window_seconds,
            settings.login_attempts_per_login_per_hour,
        )

    def begin(self, attempt: Attempt) -> None:
        """Count an attempt, or raise RateLimited (nothing counted) if a window is full."""
        self.pairs.check(attempt.pair)
        if not self.known(attempt):
            self.logins.check(attempt.login)
            self.addresses.check(attempt.address)
        self.pairs.hit(attempt.pair)
        self.logins.hit(attempt.login)
        self.addresses.hit(attempt.address)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt is not a failure, and its address is one the
        login is known to log in from."""
        self.pairs.reset(attempt.pair)
        self.logins.forgive(attempt.login)
        self.addresses.forgive(attempt.address)
        seen = self._known.pop(attempt.login, ())
        self._known[attempt.login] = (
            attempt.address,
            *(a for a in seen if a != attempt.address),
        )[:KNOWN_PER_LOGIN]
        while len(self._known) > MAX_LOGINS_KNOWN:
            self._known.popitem(last=False)

    def known(self, attempt: Attempt) -> bool:
        return attempt.address in self._known.get(attempt.login, ())


class Logins:
    """The node's password checks (one per process, shared by every face)."""

    def __init__(self, settings: Settings) -> None:
        self.limits = LoginLimits.from_settings(settings)
        self._checks: asyncio.Semaphore | None = None

    async def log_in(self, db: Database, host: str | None, login: str, password: str) -> User:
        """The user `login` (username or e-mail) names, if `password` is theirs. Raises
        RateLimited, NotAuthenticated (one vague message for every miss) or Forbidden
        (suspended, waiting for approval: told only to whoever knows the password)."""
        found = await db.read(accounts.password_holder, login)
        attempt = Attempt.of(host, login, found[0] if found else None)
        self.limits.begin(attempt)
        if not await self._check(found[0].password_hash if found else None, password):
            raise NotAuthenticated(WRONG)
        self.limits.succeeded(attempt)
        assert found is not None
        if await db.read(_disabled, found[1].id):
            raise Forbidden("Your account's log-in has been disabled by the moderators.")
        return accounts.admit(*found)

    async def confirm(self, host: str | None, user: User, password: str) -> None:
        """The current password of someone logged in, asked before a change that needs it
        (a new password, moving the account): guessed under the same limits."""
        attempt = Attempt.of(host, "", user)
        self.limits.begin(attempt)
        if not await self._check(user.password_hash, password):
            raise NotAuthenticated("The current password is wrong.")
        self.limits.succeeded(attempt)

    async def _check(self, password_hash: str | None, password: str) -> bool:
        if self._checks is None:
            self._checks = asyncio.Semaphore(CHECKS_AT_ONCE)
        async with self._checks:
            return await asyncio.to_thread(check_password, password_hash, password)


def _disabled(session: Session, account_id: int) -> bool:
    row = session.get(AccountModeration, account_id)
    return row is not None and row.disabled

"""Sign-ups per client address: 5 per 30 minutes (Mastodon's limit on `POST /api/v1/accounts`),
counted once for the web form and the API together, whatever token, app or cookie the request
carries: anyone can make a new app and token per request, nobody a new address.

An attempt counts once it passes the cheap checks (a well-formed username, e-mail address and
password), before the slow work (keys, Argon2), so refused floods cost no CPU either. In
memory, per process, like the other limits (`kernel/ratelimit.py`).
"""

from __future__ import annotations

from bocage.kernel.ratelimit import SlidingWindow, address_key

SIGN_UPS_PER_WINDOW = 5
WINDOW_SECONDS = 1800.0


class SignUps:
    def __init__(
        self, limit: int = SIGN_UPS_PER_WINDOW, window_seconds: float = WINDOW_SECONDS
    ) -> None:
        self.window = SlidingWindow(limit, window_seconds, reason="Too many sign-ups from here")

    def begin(self, host: str | None) -> None:
        """Count a sign-up from `host`, or raise RateLimited if it made enough lately."""
        self.window.take(address_key(host))

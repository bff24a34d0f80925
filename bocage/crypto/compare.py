"""Comparing a secret someone sent (a CSRF token, an app's client secret, a PKCE challenge)
with the one expected, in constant time.

`hmac.compare_digest` raises TypeError on a `str` holding anything but ASCII, and what
people send holds anything: compared as UTF-8 bytes, a wrong secret is only wrong."""

from __future__ import annotations

import hmac


def same_secret(sent: str, expected: str) -> bool:
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )

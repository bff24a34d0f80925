"""The request target a signature covers is read from the ASGI scope exactly as Starlette's
`request.url` gives it (path and query), without parsing the whole URL."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from bocage.federation.signatures import _target


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/inbox", b""),
        ("/users/alice/inbox", b""),
        ("/users/alice/outbox", b"page=true&min_id=12"),
        ("/tags/caf\u00e9", b"q=a%20b"),
        ("/odd?path#with\\marks", b""),
    ],
)
def test_the_target_is_what_request_url_says(path: str, query: bytes) -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"example.org")],
        "scheme": "https",
        "server": ("example.org", 443),
    }
    url = Request(scope).url
    assert _target(scope) == url.path + (f"?{url.query}" if url.query else "")

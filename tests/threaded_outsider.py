"""A server of the tests' own, on its own loopback address, as an outsider would run one: it
serves an instance actor with an RSA key (and any other documents a test gives it), and signs
requests as that actor (draft-cavage or RFC 9421), so that a node under test fetches the key
over real HTTP and checks real signatures, as it would for any other server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from bocage.crypto import httpsig
from bocage.crypto.keys import RsaKey
from tests.conftest import shared_secrets
from tests.processes import free_port

AS_JSON = "application/activity+json"


@dataclass
class Outsider:
    host: str
    port: int = 0
    key: RsaKey = field(default_factory=lambda: shared_secrets().rsa)
    documents: dict[str, Any] = field(default_factory=dict)  # path -> JSON served there

    def __post_init__(self) -> None:
        self.port = self.port or free_port(self.host)
        self.documents.setdefault("/actor", self.actor())

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def key_id(self) -> str:
        return f"{self.base}/actor#main-key"

    def actor(self) -> dict[str, Any]:
        """An instance actor, as Mastodon serves at /actor."""
        uri = f"{self.base}/actor"
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Application",
            "preferredUsername": self.host,
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "publicKey": {"id": self.key_id, "owner": uri, "publicKeyPem": self.key.public_pem},
        }

    def signed(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        *,
        scheme: httpsig.Scheme = "cavage",
        headers: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """`headers` plus those that sign the request as this server's actor."""
        given = dict(headers or {})
        request = httpsig.Request(method, url, given, body)
        private = httpsig.load_private_key(self.key.private_pem)
        return {**given, **httpsig.sign(request, self.key_id, private, scheme=scheme)}

    @contextmanager
    def serving(self) -> Iterator[Outsider]:
        server = ThreadingHTTPServer((self.host, self.port), _handler(self.documents))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def _handler(documents: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = documents.get(self.path.split("?", 1)[0])
            body = orjson.dumps(found) if found is not None else b'{"error": "not found"}'
            self.send_response(200 if found is not None else 404)
            self.send_header("content-type", AS_JSON)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler

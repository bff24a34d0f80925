"""Private keys sealed at rest, on a real `bocage serve` and a fake remote server
that checks the node's signed requests as any fediverse server would.

- The database file (and its WAL) holds no private key in plain: no PEM, no seed bytes,
  read straight from the SQLite files, as someone who copied them would.
- A node started with another secret stops with a message saying so (it does not start and
  sign with keys it cannot open).
- `bocage secret rotate` re-seals every key: afterwards the node's requests still verify with
  the keys its actors publish (the instance actor's signed fetch, alice's signed Follow), its
  posts' proofs verify with alice's did, and the old secret opens nothing.
- A database from before sealing (plain keys) is sealed at start, its file rewritten so no
  plain key stays in free space, and the node still signs.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import tarfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bocage.config import with_secrets, write_secrets
from bocage.crypto import httpsig, proofs, sealing
from bocage.crypto.keys import IdentityKey, public_key_from_did
from tests.addresses import free_port, loopback
from tests.federation.helpers import FEDERATION_ENV, PASSWORD
from tests.processes import NodeProcess, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("integration/test_sealed_keys")]
AS_JSON = {"Accept": "application/activity+json"}
T = TypeVar("T")


class FakeServer(ThreadingHTTPServer):
    """A remote server with one person, zoe: WebFinger, her actor document, her inbox. It
    keeps every request it gets, to check their signatures as a receiving server does."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, free_port(host)), _Handler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.actor = f"{self.base}/users/zoe"
        self.received: list[httpsig.Request] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def handle(self) -> str:
        return f"zoe@{urlsplit(self.base).netloc}"

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        parts = urlsplit(path)
        if parts.path == "/.well-known/webfinger":
            resource = parse_qs(parts.query).get("resource", [""])[0]
            links = [{"rel": "self", "type": "application/activity+json", "href": self.actor}]
            return (
                200,
                "application/jrd+json",
                json.dumps({"subject": resource, "links": links}).encode(),
            )
        if parts.path == "/users/zoe" and method == "GET":
            return 200, "application/activity+json", json.dumps(self._zoe()).encode()
        if parts.path == "/users/zoe/inbox" and method == "POST":
            return 202, "application/json", b"{}"
        return 404, "application/json", b"{}"

    def _zoe(self) -> dict[str, Any]:
        from tests.conftest import shared_secrets

        return {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": self.actor, "type": "Person", "preferredUsername": "zoe",
            "inbox": f"{self.actor}/inbox", "followers": f"{self.actor}/followers",
            "publicKey": {"id": f"{self.actor}#main-key", "owner": self.actor,
                          "publicKeyPem": shared_secrets().rsa.public_pem},
        }  # fmt: skip

    def signed(self, method: str, path: str) -> list[httpsig.Request]:
        return [r for r in self.received if r.method == method and r.target == path]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = self.server.base + self.path
        self.server.received.append(httpsig.Request(self.command, url, dict(self.headers), body))
        status, kind, content = self.server.answer(self.command, self.path, body)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _any

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """A node with alice, stopped between tests (each starts it as it needs)."""
    made = NodeProcess(tmp_path_factory.mktemp("sealed") / "node", host=loopback(2, 3),
                       env=dict(FEDERATION_ENV))  # fmt: skip
    made.prepare(["alice"])
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture(scope="module")
def remote() -> Iterator[FakeServer]:
    server = FakeServer(loopback(2, 4))
    try:
        yield server
    finally:
        server.close()


def secret_of(data: Path) -> str:
    return str(tomllib.loads((data / "bocage.toml").read_text())["secret_key"])


def stored_keys(data: Path) -> tuple[str, bytes, str, str]:
    """alice's did, sealed seed and sealed PEM, and the instance actor's sealed PEM, as the
    database file holds them."""
    with sqlite3.connect(data / "bocage.db") as db:
        did, seed, pem = db.execute(
            "SELECT did, identity_seed, rsa_private_pem FROM accounts WHERE username = 'alice'"
        ).fetchone()
        found = db.execute(
            "SELECT value FROM instance_settings WHERE key = 'instance_actor_key'"
        ).fetchone()
    instance_pem = json.loads(found[0])["private_pem"] if found else ""
    return did, seed, pem, instance_pem


def raw_files(data: Path) -> bytes:
    """Every byte of the database, its WAL and shared memory, free pages included."""
    return b"".join(path.read_bytes() for path in sorted(data.glob("bocage.db*")))


def assert_no_plain_key(data: Path, seed: bytes, *pems: str) -> None:
    raw = raw_files(data)
    assert b"PRIVATE KEY" not in raw
    assert seed not in raw
    for pem in pems:
        body = "".join(pem.strip().splitlines()[1:-1])
        for start in range(0, len(body) - 48, 200):  # pieces of the key's base64 body
            assert body[start : start + 48].encode() not in raw


def token(node: NodeProcess, client: httpx.Client) -> dict[str, str]:
    app = client.post("/api/v1/apps", data={"client_name": "t", "scopes": "read write follow"})
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "password", "client_id": app.json()["client_id"],
              "client_secret": app.json()["client_secret"], "username": "alice@example.org",
              "password": PASSWORD, "scope": "read write follow"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def publish(client: httpx.Client, headers: dict[str, str], text: str) -> dict[str, Any]:
    """Posts `text`; returns the signed Note the node serves for it."""
    status = client.post("/api/v1/statuses", data={"status": text}, headers=headers)
    assert status.status_code == 200, status.text
    note = client.get(status.json()["uri"], headers=AS_JSON)
    assert note.status_code == 200, note.text
    return note.json()


def assert_proof_by(did: str, document: dict[str, Any]) -> None:
    verdict = proofs.verify_object(document, public_key_from_did(did))
    assert verdict.valid, verdict.reason
    assert str(verdict.verification_method).startswith(did)


def assert_signed_by_published_key(client: httpx.Client, request: httpsig.Request) -> str:
    """Verify `request` as a receiving server: the key its signature names, fetched from
    the node. Returns the key id."""
    key_id = httpsig.key_id_of(request)
    actor = client.get(key_id.split("#")[0], headers=AS_JSON).json()
    pem = actor["publicKey"]["publicKeyPem"]
    httpsig.verify(request, httpsig.load_public_key(pem))
    return key_id


def wait_for(check: Callable[[], list[T]], within: float = 20.0) -> list[T]:
    """Poll `check` until it finds something: deliveries are made by jobs."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing within {within}s")


def test_the_database_file_holds_no_private_key_in_plain(node: NodeProcess) -> None:
    node.start()
    try:
        with httpx.Client(base_url=node.url, timeout=30) as client:
            note = publish(client, token(node, client), "a post, signed")
            assert client.get("/actor", headers=AS_JSON).status_code == 200  # instance key
    finally:
        node.stop()
    did, seed, pem, instance_pem = stored_keys(node.data)
    for stored in (seed, pem, instance_pem):
        assert sealing.key_id_of(stored) is not None, "a key is stored in plain"
    sealing.keyring(secret_of(node.data))  # this test process can now open them
    opened_seed = sealing.open_seed(seed)
    assert IdentityKey.from_seed(opened_seed).did == did
    assert_proof_by(did, note)
    assert_no_plain_key(
        node.data, opened_seed, sealing.open_pem(pem), sealing.open_pem(instance_pem)
    )


def test_a_node_with_another_secret_refuses_to_start(node: NodeProcess) -> None:
    config = node.data / "bocage.toml"
    original = config.read_text()
    config.write_text(with_secrets(original, "not the secret these keys were sealed with"))
    try:
        for command in (("serve", "--port", str(node.port)), ("worker", "--once")):
            result = run_cli(
                command[0], "--data", str(node.data), *command[1:], env=node.env, check=False
            )
            text = " ".join(f"{result.stdout} {result.stderr}".split())
            assert result.returncode == 1, text
            assert "sealed with another secret_key" in text, text
            assert "Traceback" not in text
    finally:
        config.write_text(original)


def test_rotation_keeps_every_signature_verifying_and_the_old_secret_opens_nothing(
    node: NodeProcess, remote: FakeServer
) -> None:
    old = secret_of(node.data)
    _, old_seed, old_pem, _ = stored_keys(node.data)
    rotated = run_cli("secret", "rotate", "--data", str(node.data), env=node.env)
    assert "private keys sealed with it" in rotated.stdout
    new = secret_of(node.data)
    assert new != old
    assert "previous_secret_key" not in (node.data / "bocage.toml").read_text()
    did, seed, pem, instance_pem = stored_keys(node.data)
    assert (seed, pem) != (old_seed, old_pem)
    new_key, old_key = sealing.SealingKey.from_secret(new), sealing.SealingKey.from_secret(old)
    for stored, purpose in ((seed.decode(), sealing.SEED), (pem, sealing.PEM),
                            (instance_pem, sealing.PEM)):  # fmt: skip
        assert sealing.key_id_of(stored) == new_key.key_id
        new_key.open(stored, purpose)
        with pytest.raises(sealing.SealingError):  # the old secret opens nothing
            old_key.open(stored, purpose)

    node.start()
    try:
        with httpx.Client(base_url=node.url, timeout=30) as client:
            alice = token(node, client)
            assert_proof_by(did, publish(client, alice, "after the rotation"))
            found = client.get(
                "/api/v2/search",
                params={"q": remote.handle, "resolve": "true", "type": "accounts"},
                headers=alice,
            )
            assert found.status_code == 200 and found.json()["accounts"], found.text
            zoe = found.json()["accounts"][0]["id"]
            assert client.post(f"/api/v1/accounts/{zoe}/follow", headers=alice).status_code == 200

            follow = wait_for(lambda: remote.signed("POST", "/users/zoe/inbox"))[0]
            assert json.loads(follow.body)["type"] == "Follow"
            alice_key = assert_signed_by_published_key(client, follow)
            assert alice_key == f"{node.url}/users/alice#main-key"
            fetches = remote.signed("GET", "/users/zoe")
            assert fetches, "the node did not fetch zoe's actor"
            instance_key = assert_signed_by_published_key(client, fetches[0])
            assert instance_key.startswith(f"{node.url}/actor")
    finally:
        node.stop()

    # Started with the old secret, the node says it is not the one.
    config = node.data / "bocage.toml"
    current = config.read_text()
    config.write_text(with_secrets(current, old))
    try:
        refused = run_cli("worker", "--once", "--data", str(node.data), env=node.env, check=False)
        assert refused.returncode == 1 and "sealed with another secret_key" in refused.stderr
    finally:
        config.write_text(current)


def test_an_old_database_with_plain_keys_is_sealed_at_start_and_still_signs(
    tmp_path: Path,
) -> None:
    node = NodeProcess(tmp_path / "old", host=loopback(2, 5), env=dict(FEDERATION_ENV))
    node.prepare(["alice"])
    # As a node from before sealing stored them: the same keys, in plain.
    sealing.keyring(secret_of(node.data))
    did, seed, pem, _ = stored_keys(node.data)
    plain_seed, plain_pem = sealing.open_seed(seed), sealing.open_pem(pem)
    with sqlite3.connect(node.data / "bocage.db") as db:
        db.execute(
            "UPDATE accounts SET identity_seed = ?, rsa_private_pem = ? WHERE username = 'alice'",
            (plain_seed, plain_pem),
        )
    assert plain_seed in raw_files(node.data)

    node.start()
    try:
        _, seed, pem, _ = stored_keys(node.data)
        assert sealing.key_id_of(seed) and sealing.key_id_of(pem)
        assert sealing.open_seed(seed) == plain_seed and sealing.open_pem(pem) == plain_pem
        assert_no_plain_key(node.data, plain_seed, plain_pem)
        with httpx.Client(base_url=node.url, timeout=30) as client:
            assert_proof_by(did, publish(client, token(node, client), "still signing"))
    finally:
        node.stop()
    assert "Traceback" not in node.log()


def test_a_backup_holds_sealed_keys_and_the_secret_only_when_asked(
    node: NodeProcess, tmp_path: Path
) -> None:
    """Even from a database that still holds plain keys (a node from before sealing, not
    started since), `bocage backup` writes them sealed."""
    sealing.keyring(secret_of(node.data))
    _, seed, pem, _ = stored_keys(node.data)
    plain_seed, plain_pem = sealing.open_seed(seed), sealing.open_pem(pem)
    with sqlite3.connect(node.data / "bocage.db") as db:
        db.execute(
            "UPDATE accounts SET identity_seed = ?, rsa_private_pem = ? WHERE username = 'alice'",
            (plain_seed, plain_pem),
        )
    archive = tmp_path / "node.tar.gz"
    run_cli("backup", "--out", str(archive), "--data", str(node.data), env=node.env)
    with tarfile.open(archive) as tar:
        accounts = tar.extractfile("tables/accounts.ndjson").read()  # type: ignore[union-attr]
        settings = tar.extractfile("bocage.toml").read().decode()  # type: ignore[union-attr]
    row = next(json.loads(line) for line in accounts.splitlines() if b'"alice"' in line)
    assert sealing.key_id_of(row["rsa_private_pem"]) is not None
    assert sealing.key_id_of(base64.b64decode(row["identity_seed"])) is not None
    assert b"PRIVATE KEY" not in accounts and base64.b64encode(plain_seed) not in accounts
    assert "secret_key" not in settings

    with_secret = tmp_path / "with-secret.tar.gz"
    run_cli("backup", "--out", str(with_secret), "--include-secret", "--data", str(node.data),
            env=node.env)  # fmt: skip
    with tarfile.open(with_secret) as tar:
        kept = tar.extractfile("bocage.toml").read().decode()  # type: ignore[union-attr]
    assert tomllib.loads(kept)["secret_key"] == secret_of(node.data)


def test_a_rotation_cut_short_is_finished_by_the_next_start(node: NodeProcess) -> None:
    """`secret rotate` killed right after its first step (the new secret written, the old one
    kept as previous_secret_key, nothing re-sealed yet): the next start seals every key with
    the new secret and signs with it; the next rotation finishes and drops the old secret."""
    old, new = secret_of(node.data), "the new secret of a rotation that was cut short"
    write_secrets(node.data, new, old)  # what `secret rotate` writes first
    did, seed, _, _ = stored_keys(node.data)
    assert sealing.key_id_of(seed) == sealing.SealingKey.from_secret(old).key_id
    node.start()
    try:
        _, seed, pem, instance_pem = stored_keys(node.data)
        for stored in (seed, pem, instance_pem):
            assert sealing.key_id_of(stored) == sealing.SealingKey.from_secret(new).key_id
        with httpx.Client(base_url=node.url, timeout=30) as client:
            assert_proof_by(did, publish(client, token(node, client), "half-rotated"))
        assert "a secret rotation did not finish" in node.log()
    finally:
        node.stop()
    run_cli("secret", "rotate", "--data", str(node.data), env=node.env)
    settings = tomllib.loads((node.data / "bocage.toml").read_text())
    assert "previous_secret_key" not in settings and settings["secret_key"] not in (old, new)
    _, seed, _, _ = stored_keys(node.data)
    assert sealing.key_id_of(seed) == sealing.SealingKey.from_secret(settings["secret_key"]).key_id

"""Coverage-guided fuzzing (atheris, libFuzzer) of the parsers that take raw bytes from
outside: `python -m tests.atheris_targets TARGET -runs=N`. Each target feeds the bytes to
the parser as a server would get them and lets through only the parser's documented error;
anything else is a crash that atheris reports (exit status non-zero) with the input.
tests/test_atheris.py runs each target for a few thousand inputs; longer runs are for
whoever hunts: `-max_total_time=600`."""

from __future__ import annotations

import sys
from collections.abc import Callable

import atheris

# Only Bocage's modules: instrumenting every library they import took 30 s at each start.
with atheris.instrument_imports(include=["bocage"]):
    from bocage.core.content import text
    from bocage.crypto import httpsig
    from bocage.federation import normalize
    from bocage.kernel import numbers


def _remote_document(data: bytes) -> None:
    """A document from another server, as the inbox and the fetcher read it."""
    try:
        document = normalize.loads(data)
        if isinstance(document, dict):
            normalize.activity(document)
            normalize.actor_link(document)
            normalize.post(document)
    except normalize.Malformed:
        pass
    try:
        document = normalize.loads(data)
        if isinstance(document, dict):
            normalize.actor(document, fetched_from=str(document.get("id")))
    except normalize.Malformed:
        pass


def _signature_headers(data: bytes) -> None:
    """Signature headers of both schemes, as a server decodes them (latin-1)."""
    fields = data.decode("latin-1").split("\n")
    names = ["signature", "signature-input", "content-digest", "digest", "date", "host"]
    headers = {name: value.strip("\r\x00") for name, value in zip(names, fields, strict=False)}
    request = httpsig.Request("POST", "https://bocage.example/inbox", headers, data[:64])
    key = httpsig.load_private_key(_KEY).public_key()
    try:
        httpsig.key_id_of(request)
        httpsig.verify(request, key)
    except httpsig.SignatureError:
        pass


def _html(data: bytes) -> None:
    markup = data.decode("utf-8", "replace")
    cleaned = text.sanitize_remote(markup)
    assert "<script" not in cleaned.lower()
    assert text.sanitize_remote(cleaned) == cleaned


def _numbers(data: bytes) -> None:
    value = data.decode("utf-8", "replace")
    found = numbers.parse_id(value)
    assert found is None or 0 <= found < numbers.ID_LIMIT
    count = numbers.parse_count(value, 40)
    assert count is None or 0 <= count <= 40


TARGETS: dict[str, Callable[[bytes], None]] = {
    "remote_document": _remote_document,
    "signature_headers": _signature_headers,
    "html": _html,
    "numbers": _numbers,
}
_KEY = ""


def main() -> None:
    global _KEY
    from tests.conftest import shared_secrets

    _KEY = shared_secrets().rsa.private_pem
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

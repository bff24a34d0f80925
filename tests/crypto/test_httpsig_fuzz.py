"""Property tests of the HTTP signature parsers and verifiers (crypto/httpsig.py), both
schemes: genuine signed requests (draft-cavage `Signature`/`Digest`, RFC 9421
`Signature-Input`/`Signature`/`Content-Digest`) with their headers and bodies mutated any way
(replaced, cut, spliced with odd characters). Naming the key and verifying either succeed or
raise `SignatureError`, never anything else; an untouched request verifies."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bocage.crypto import httpsig
from tests.conftest import shared_secrets

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://bocage.example/users/alice/inbox?page=1"
RSA = httpsig.load_private_key(shared_secrets().rsa.private_pem)
ED25519 = ed25519.Ed25519PrivateKey.generate()
HEADERS = ["signature", "signature-input", "content-digest", "digest", "date", "host",
           "authorization", "content-type"]  # fmt: skip
# What a header value may hold once an HTTP server has read it (latin-1, no line breaks or
# NUL), and pieces of the syntax the parsers split on.
VALUE = st.text(st.characters(min_codepoint=1, max_codepoint=255, exclude_characters="\r\n"),
                max_size=60)  # fmt: skip
PIECES = st.sampled_from([",", ";", "=", '"', ":", "(", ")", "keyId=", 'headers=""', "sig1=",
                          "sha-256=", "sha-256=:", "created=", "alg=", "*", " ", "\t", "\\",
                          "9" * 40, "-1", "a" * 9000])  # fmt: skip


def signed(scheme: httpsig.Scheme, method: str, key: httpsig.PrivateKey) -> httpsig.Request:
    body = b'{"type": "Follow"}' if method == "POST" else b""
    request = httpsig.Request(method, URL, {"content-type": "application/activity+json"}, body)
    headers = httpsig.sign(request, "https://remote.example/actor#main-key", key, scheme=scheme,
                           now=NOW)  # fmt: skip
    return httpsig.Request(method, URL, {**request.headers, **headers}, body)


KEYS = [RSA, ED25519] * 4
REQUESTS = [signed(s, m, k) for s in ("cavage", "rfc9421") for m in ("GET", "POST")
            for k in (RSA, ED25519)]  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn) -> tuple[httpsig.Request, httpsig.Request]:
    """(a genuine request, the same with some headers or its body changed)."""
    original = draw(st.sampled_from(REQUESTS))
    headers = _lowered(original)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        name = draw(st.sampled_from(HEADERS))
        value = headers.get(name, "")
        start = draw(st.integers(min_value=0, max_value=len(value)))
        end = draw(st.integers(min_value=start, max_value=len(value)))
        change = draw(st.sampled_from(["replace", "splice", "cut", "drop"]))
        if change == "replace":
            headers[name] = draw(VALUE)
        elif change == "splice":
            headers[name] = value[:start] + draw(st.one_of(PIECES, VALUE)) + value[end:]
        elif change == "cut":
            headers[name] = value[:start] + value[end:]
        else:
            headers.pop(name, None)
    body = original.body
    if draw(st.booleans()):
        body = draw(st.binary(max_size=40))
    return original, httpsig.Request(original.method, original.url, headers, body)


@settings(max_examples=400)
@given(mutations())
@example((REQUESTS[0], httpsig.Request("POST", URL, {"Signature": 'keyId="k",headers="'}, b"")))
@example((REQUESTS[2], httpsig.Request("GET", URL, {"Signature-Input": "sig1=(", "Signature": ""})))
def test_any_signature_headers_verify_or_are_refused(pair: tuple[httpsig.Request, ...]) -> None:
    original, changed = pair
    for key in (RSA, ED25519):
        try:
            httpsig.key_id_of(changed)
            httpsig.verify(changed, key.public_key(), now=NOW)
        except httpsig.SignatureError as refused:
            assert refused.status in (400, 401)
            untouched = (
                _lowered(original) == dict(changed.headers) and original.body == changed.body
            )
            assert not untouched or KEYS[REQUESTS.index(original)] is not key


def _lowered(request: httpsig.Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def test_untouched_requests_verify_with_their_key_only() -> None:
    for request, key in zip(REQUESTS, KEYS, strict=True):
        verdict = httpsig.verify(request, key.public_key(), now=NOW)
        assert verdict.key_id == "https://remote.example/actor#main-key"
        other = ED25519 if key is RSA else RSA
        try:
            httpsig.verify(request, other.public_key(), now=NOW)
        except httpsig.SignatureError:
            continue
        raise AssertionError("verified with another key")

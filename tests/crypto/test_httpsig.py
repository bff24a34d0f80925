"""crypto/httpsig.py against published vectors (tests/data/httpsig/README.md says where each
comes from): Mastodon's signature_verification_spec.rb, draft-cavage-12 appendix C and
RFC 9421 appendix B; then our own signing, read back by our verifier."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from bocage.crypto import httpsig
from bocage.crypto.httpsig import Request, SignatureError

VECTORS = Path(__file__).parent.parent / "data" / "httpsig"
MASTODON = json.loads((VECTORS / "mastodon.json").read_text())
CAVAGE = json.loads((VECTORS / "cavage12.json").read_text())
RFC9421 = json.loads((VECTORS / "rfc9421.json").read_text())


def public_key(pem: str) -> Any:
    return serialization.load_pem_public_key(pem.encode())


# --- Mastodon's request spec -------------------------------------------------------------

MASTODON_NOW = datetime.fromtimestamp(MASTODON["harness"]["frozen_time_unix"], tz=UTC)
MASTODON_KEY = public_key(MASTODON["keys"]["actor_keypair"]["public_pem"])
SIGNED_CASES = [case for case in MASTODON["cases"] if case["key"] == "actor_keypair"]


def mastodon_request(case: dict[str, Any]) -> Request:
    spec = case["request"]
    return Request(
        spec["method"],
        "https://www.example.com" + spec["path"],
        dict(spec["headers"]),
        (spec["body"] or "").encode(),
    )


def accepted(case: dict[str, Any]) -> bool:
    expected = case["expected"]["json"]
    return expected.get("signed_request") is True and "error" not in expected


@pytest.mark.parametrize("case", SIGNED_CASES, ids=lambda case: case["id"])
def test_mastodon_signature_verification_spec(case: dict[str, Any]) -> None:
    request = mastodon_request(case)
    assert httpsig.key_id_of(request) == MASTODON["harness"]["actor"]["key_id"]
    if accepted(case):
        verdict = httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW)
        assert verdict.key_id == MASTODON["harness"]["actor"]["key_id"]
        return
    with pytest.raises(SignatureError) as refused:
        httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW)
    assert refused.value.status == case["expected"].get("http_status", 401) or (
        refused.value.status == 401 and case["expected"].get("http_status") == 200
    )


@pytest.mark.parametrize(
    "case",
    [case for case in MASTODON["cases"] if case["key"] is None],
    ids=lambda case: case["id"],
)
def test_unsigned_requests_are_told_so(case: dict[str, Any]) -> None:
    with pytest.raises(SignatureError, match="not signed"):
        httpsig.key_id_of(mastodon_request(case))


@pytest.mark.parametrize(
    "case",
    [case for case in MASTODON["cases"] if (case["key"] or "").startswith("unresolvable")],
    ids=lambda case: case["id"],
)
def test_the_key_to_fetch_is_the_one_the_signature_names(case: dict[str, Any]) -> None:
    # Mastodon answers these with "Unable to fetch key JSON": fetching is the inbox's job.
    assert httpsig.key_id_of(mastodon_request(case)).endswith("/users/alice#main-key")


def test_a_malformed_content_digest_is_a_bad_request() -> None:
    [case] = [case for case in MASTODON["cases"] if case["id"] == "rfc9421-11"]
    with pytest.raises(SignatureError) as refused:
        httpsig.verify(mastodon_request(case), MASTODON_KEY, now=MASTODON_NOW)
    assert refused.value.status == 400


def test_mastodon_date_window() -> None:
    [case] = [case for case in SIGNED_CASES if case["id"] == "cavage-1"]
    request = mastodon_request(case)
    httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW + timedelta(hours=11))
    httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW - timedelta(minutes=59))
    with pytest.raises(SignatureError, match="too far in the past"):
        httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW + timedelta(hours=13))
    with pytest.raises(SignatureError, match="in the future"):
        httpsig.verify(request, MASTODON_KEY, now=MASTODON_NOW - timedelta(hours=2))


# --- draft-cavage-12 appendix C ----------------------------------------------------------

CAVAGE_KEY = public_key(CAVAGE["key"]["public_pem"])
CAVAGE_REQUEST = Request(
    CAVAGE["request"]["method"],
    "https://example.com" + CAVAGE["request"]["request_target"],
    dict(CAVAGE["request"]["headers"]),
    CAVAGE["request"]["body"].encode(),
)
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)


@pytest.mark.parametrize("test", CAVAGE["tests"][:2], ids=lambda test: test["id"])
def test_cavage_appendix_c_signing_strings_and_signatures(test: dict[str, Any]) -> None:
    signed = test["effective_headers"]
    text = httpsig.cavage_signing_string(CAVAGE_REQUEST, {}, signed, CAVAGE_REQUEST.target)
    assert text == test["signing_string"]
    signature = base64.b64decode(test["signature_b64"])
    httpsig.check_cavage_signature(CAVAGE_KEY, test["algorithm"], signature, text.encode())
    with pytest.raises(SignatureError):
        httpsig.check_cavage_signature(CAVAGE_KEY, "rsa-sha256", signature, text.encode() + b"x")


def test_cavage_default_and_basic_tests_fall_short_of_mastodons_rules() -> None:
    # C.1 signs only the date (replayable anywhere); C.2 leaves the body's Digest unsigned.
    for test, reason in zip(CAVAGE["tests"][:2], ["request-target", "Digest"], strict=True):
        request = Request(
            CAVAGE_REQUEST.method,
            CAVAGE_REQUEST.url,
            {**CAVAGE_REQUEST.headers, "Signature": test["signature_value"]},
            CAVAGE_REQUEST.body,
        )
        with pytest.raises(SignatureError, match=reason):
            httpsig.verify(request, CAVAGE_KEY, now=CAVAGE_NOW)


def test_cavage_all_headers_test_verifies_in_its_consistent_form() -> None:
    variant = CAVAGE["tests"][2]["consistent_variant"]
    signature = CAVAGE["tests"][2]["signature_b64"]
    header = (
        f'keyId="Test",algorithm="rsa-sha256",headers="{variant["headers_parameter"]}",'
        f'signature="{signature}"'
    )
    request = Request(
        CAVAGE_REQUEST.method,
        CAVAGE_REQUEST.url,
        {**CAVAGE_REQUEST.headers, "Signature": header},
        CAVAGE_REQUEST.body,
    )
    verdict = httpsig.verify(request, CAVAGE_KEY, now=CAVAGE_NOW)
    assert verdict.scheme == "cavage"
    assert "digest" in verdict.covered


# --- RFC 9421 appendix B -----------------------------------------------------------------


def rfc9421_request(example: dict[str, Any], *, with_body: bool = True) -> Request:
    message = RFC9421["messages"][example["message"]]
    headers = dict(message["headers"])
    headers["Signature-Input"] = example["signature_input"]
    headers["Signature"] = example["signature"]
    body = message["body"].encode() if with_body else b""
    return Request(
        message["method"], "https://example.com" + message["request_target"], headers, body
    )


def rfc9421_example(example_id: str) -> dict[str, Any]:
    [example] = [e for e in RFC9421["examples"] if e["id"] == example_id]
    return example


def rfc9421_moment(example: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(example["signature_params"]["created"], tz=UTC)


def test_rfc9421_ed25519_example() -> None:
    example = rfc9421_example("B.2.6")
    key = public_key(RFC9421["keys"][example["key"]]["public_pem"])
    # B.2.6 does not cover Content-Digest: under our rules it only holds for a bodiless request.
    request = rfc9421_request(example, with_body=False)
    verdict = httpsig.verify(request, key, now=rfc9421_moment(example))
    assert verdict.scheme == "rfc9421"
    assert verdict.key_id == "test-key-ed25519"
    with pytest.raises(SignatureError, match="Content-Digest"):
        httpsig.verify(rfc9421_example_with_body(example), key, now=rfc9421_moment(example))


def rfc9421_example_with_body(example: dict[str, Any]) -> Request:
    return rfc9421_request(example, with_body=True)


def test_rfc9421_rsa_pss_example_with_its_content_digest() -> None:
    example = rfc9421_example("B.2.3")
    key = public_key(RFC9421["keys"][example["key"]]["public_pem"])
    request = rfc9421_request(example)
    verdict = httpsig.verify(request, key, now=rfc9421_moment(example))
    assert "content-digest" in verdict.covered
    tampered = Request(request.method, request.url, request.headers, request.body + b" ")
    with pytest.raises(SignatureError):
        httpsig.verify(tampered, key, now=rfc9421_moment(example))


@pytest.mark.parametrize("example_id", ["B.2.1", "B.2.2"])
def test_rfc9421_examples_that_do_not_cover_the_method_are_refused(example_id: str) -> None:
    example = rfc9421_example(example_id)
    key = public_key(RFC9421["keys"][example["key"]]["public_pem"])
    with pytest.raises(SignatureError):
        httpsig.verify(rfc9421_request(example), key, now=rfc9421_moment(example))


# --- our own signatures ------------------------------------------------------------------

KEYS = {
    "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ed25519": ed25519.Ed25519PrivateKey.generate(),
}


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize("kind", list(KEYS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_what_we_sign_we_verify(scheme: httpsig.Scheme, kind: str, method: str) -> None:
    key = KEYS[kind]
    body = b'{"type": "Follow"}' if method == "POST" else b""
    url = "https://remote.example/users/bob/inbox?page=2"
    unsigned = Request(method, url, {"Accept": "application/activity+json"}, body)
    headers = httpsig.sign(unsigned, "https://here.example/users/a#main-key", key, scheme=scheme)
    signed = Request(method, url, {**unsigned.headers, **headers, "Host": "remote.example"}, body)
    verdict = httpsig.verify(signed, key.public_key())
    assert verdict.scheme == scheme
    assert httpsig.key_id_of(signed) == "https://here.example/users/a#main-key"
    other = Request(method, url.replace("page=2", "page=3"), signed.headers, body)
    with pytest.raises(SignatureError):
        httpsig.verify(other, key.public_key())
    if body:
        tampered = Request(method, url, signed.headers, body.replace(b"Follow", b"Block"))
        with pytest.raises(SignatureError):
            httpsig.verify(tampered, key.public_key())


@pytest.mark.parametrize(
    "signature",
    ['keyId="k",signature="not base64!"', "garbage", 'keyId="k"', "x" * 9000],
)
def test_malformed_signature_headers_are_refused(signature: str) -> None:
    request = Request("GET", "https://here.example/x", {"Signature": signature, "Host": "h"})
    with pytest.raises(SignatureError):
        httpsig.verify(request, KEYS["rsa"].public_key())

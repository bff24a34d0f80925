"""HTTP signatures: draft-cavage-12 (what most of the fediverse speaks) and RFC 9421.

Verifying is split from key lookup, because looking a key up means a network fetch:
`key_id_of(request)` names the key that claims to have signed; the caller fetches it, then
`verify(request, key)` returns a `Verdict` or raises `SignatureError`, whose `status` is the
HTTP status to answer (400 for a malformed digest, 401 for everything that is not trusted).

The rules for draft-cavage are Mastodon's (app/controllers/concerns/signature_verification.rb),
since that is what other servers expect of a peer: `(request-target)` signed, `date` or
`(created)` signed and within 12 hours (one hour of clock skew into the future), `digest`
signed and checked on requests with a body, `host` signed on GET. RFC 9421 signatures are
checked by the `http-message-signatures` package; we add the coverage rules: `@method`,
`@target-uri` (or `@authority` and `@path`), `created`, and `content-digest` with a body.
"""

from __future__ import annotations

import base64
import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Literal, TypeGuard, get_args
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.signatures import SignatureVerifyWarning
from http_message_signatures.structures import CaseInsensitiveDict
from http_sf.compat import Dictionary

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
Scheme = Literal["cavage", "rfc9421"]
SCHEMES: tuple[Scheme, ...] = get_args(Scheme)


WINDOW = timedelta(hours=12)  # how old a signed date may be (Mastodon's window)
SKEW = timedelta(hours=1)  # how far into the future a clock may run
# hs2019 with an RSA key means RSASSA-PKCS1-v1_5 with SHA-256, as Mastodon reads it.
RSA_DIGESTS = {"rsa-sha256": hashes.SHA256, "hs2019": hashes.SHA256, "rsa-sha512": hashes.SHA512}
MAX_SIGNATURE_HEADER = 8192  # bytes; anything longer is not a signature but an attack


class SignatureError(Exception):
    """The request's signature cannot be trusted; `status` is what to answer."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class SignatureMismatch(SignatureError):
    """Well-formed, but the key does not verify it: a forgery, or a key rotated since cached."""


@dataclass(frozen=True)
class Request:
    """An HTTP request as the server received it (or as a client is about to send it)."""

    method: str
    url: str  # absolute: scheme://host[:port]/path?query
    headers: Mapping[str, str]  # any case; see `header`
    body: bytes = b""
    _lower: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lower", {k.lower(): v for k, v in self.headers.items()})

    def header(self, name: str) -> str | None:
        return self._lower.get(name.lower())

    @property
    def target(self) -> str:
        """The request target: path and query, as `(request-target)` signs it."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class Verdict:
    """Who signed a request, and how: the caller decides what that key may do."""

    key_id: str
    scheme: Scheme
    covered: tuple[str, ...]


# ---------------------------------------------------------------------------- keys


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> PublicKey:
    """An actor's `publicKeyPem` (SubjectPublicKeyInfo or PKCS#1), parsed once."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except ValueError as error:
        raise SignatureError(f"the signing key is not a valid PEM public key ({error})") from error
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError("only RSA and Ed25519 signing keys are supported")
    return key


@lru_cache(maxsize=1024)
def load_private_key(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("only RSA and Ed25519 private keys can sign requests")
    return key


def ed25519_public_key(raw: bytes) -> ed25519.Ed25519PublicKey:
    """An Ed25519 key from its 32 raw bytes (a Multikey or did:key, decoded)."""
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


# ---------------------------------------------------------------------------- verifying


def is_scheme(value: object) -> TypeGuard[Scheme]:
    """A scheme name, as stored (`remote_hosts.signature_scheme`)."""
    return value in SCHEMES


def scheme_of(request: Request) -> Scheme:
    if request.header("signature-input") is not None:
        return "rfc9421"
    if request.header("signature") is not None or _authorization_signature(request):
        return "cavage"
    raise SignatureError("the request is not signed")


def key_id_of(request: Request) -> str:
    """The key that claims to have signed `request` (not yet checked)."""
    if scheme_of(request) == "rfc9421":
        return _rfc9421_key_id(request)
    key_id = cavage_params(request).get("keyid")
    if not key_id:
        raise SignatureError("the signature names no keyId")
    return key_id


def verify(request: Request, key: PublicKey, *, now: datetime | None = None) -> Verdict:
    """Check `request`'s signature with `key`; raise `SignatureError` if it does not hold."""
    now = now or datetime.now(UTC)
    if scheme_of(request) == "rfc9421":
        return _verify_rfc9421(request, key, now)
    return _verify_cavage(request, key, now)


# draft-cavage ---------------------------------------------------------------

_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))\s*(?:,|$)')


def _authorization_signature(request: Request) -> str | None:
    value = request.header("authorization") or ""
    return value[len("signature ") :] if value.lower().startswith("signature ") else None


def cavage_params(request: Request) -> dict[str, str]:
    raw = request.header("signature") or _authorization_signature(request) or ""
    if len(raw) > MAX_SIGNATURE_HEADER:
        raise SignatureError("the Signature header is too long")
    params: dict[str, str] = {}
    position = 0
    while position < len(raw):
        match = _PARAM.match(raw, position)
        if match is None or match.end() == position:
            raise SignatureError("the Signature header is malformed")
        params[match[1].lower()] = match[2] if match[2] is not None else match[3]
        position = match.end()
    return params


def _verify_cavage(request: Request, key: PublicKey, now: datetime) -> Verdict:
    params = cavage_params(request)
    for required in ("keyid", "signature"):
        if not params.get(required):
            raise SignatureError(f"the signature has no {required} parameter")
    # Without a `headers` parameter: "date" for rsa-*, "(created)" otherwise (draft-12 §2.1.6).
    default = "date" if params.get("algorithm", "").startswith("rsa-") else "(created)"
    signed = params.get("headers", default).lower().split()
    _check_cavage_coverage(request, signed)
    _check_cavage_times(request, params, signed, now)
    if "digest" in signed or request.body:
        _check_digest(request)
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError as error:
        raise SignatureError("the signature is not valid base64") from error
    algorithm = params.get("algorithm", "hs2019").lower()
    try:
        message = cavage_signing_string(request, params, signed, request.target)
        check_cavage_signature(key, algorithm, signature, message.encode())
    except SignatureError:
        # Mastodon's compatibility quirk: some servers sign the path without its query.
        path = urlsplit(request.url).path or "/"
        if path == request.target:
            raise
        message = cavage_signing_string(request, params, signed, path)
        check_cavage_signature(key, algorithm, signature, message.encode())
    return Verdict(params["keyid"], "cavage", tuple(signed))


def _check_cavage_coverage(request: Request, signed: list[str]) -> None:
    if "(request-target)" not in signed and "digest" not in signed:
        raise SignatureError("the (request-target) pseudo-header or the Digest must be signed")
    if "date" not in signed and "(created)" not in signed:
        raise SignatureError("the Date header or the (created) pseudo-header must be signed")
    if request.body and "digest" not in signed:
        raise SignatureError("the Digest header must be signed on a request with a body")
    if request.method.upper() == "GET" and "host" not in signed:
        raise SignatureError("the Host header must be signed on a GET request")


def _check_cavage_times(
    request: Request, params: dict[str, str], signed: list[str], now: datetime
) -> None:
    if "date" in signed:
        _check_window(_http_date(request.header("date")), now, "Date")
    if "(created)" in signed:
        _check_window(_timestamp(params.get("created"), "created"), now, "(created)")
    if "(expires)" in signed or "expires" in params:
        expires = _timestamp(params.get("expires"), "expires")
        if expires < now - SKEW:
            raise SignatureError("the signature has expired")


def _check_window(moment: datetime, now: datetime, what: str) -> None:
    if moment > now + SKEW:
        raise SignatureError(f"the signed {what} is in the future")
    if moment < now - WINDOW:
        raise SignatureError(f"the signed {what} is too far in the past")


def _http_date(value: str | None) -> datetime:
    if not value:
        raise SignatureError("the signed Date header is missing")
    try:
        return _parsed_http_date(value)
    except (TypeError, ValueError) as error:
        raise SignatureError("the Date header is not an HTTP date") from error


@lru_cache(maxsize=1024)
def _parsed_http_date(value: str) -> datetime:
    # Cached: a busy server's requests share their Date header for a second (and the email
    # module's parser was a twentieth of accepting an activity).
    moment = parsedate_to_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(value: str | None, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value or ""), tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise SignatureError(f"the signature's {name} parameter is not a timestamp") from error


def cavage_signing_string(
    request: Request, params: dict[str, str], signed: list[str], target: str
) -> str:
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params.get(name[1:-1], '')}")
        else:
            value = request.header(name)
            if value is None:
                raise SignatureError(f"the signed header {name!r} is missing from the request")
            lines.append(f"{name}: {value.strip()}")
    return "\n".join(lines)


def check_cavage_signature(key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> None:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if algorithm not in ("hs2019", "ed25519"):
                raise SignatureError(f"algorithm {algorithm!r} does not match an Ed25519 key")
            key.verify(signature, data)
            return
        if algorithm not in RSA_DIGESTS:
            raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
        key.verify(signature, data, padding.PKCS1v15(), RSA_DIGESTS[algorithm]())
    except CryptoInvalidSignature as error:
        raise SignatureMismatch("the signature does not match the request") from error


def _check_digest(request: Request) -> None:
    """The (legacy, RFC 3230) Digest header: SHA-256 of the body, as Mastodon requires."""
    value = request.header("digest")
    if value is None:
        raise SignatureError("the Digest header is missing")
    offered = {}
    for part in value.split(","):
        algorithm, _, encoded = part.strip().partition("=")
        offered[algorithm.lower()] = encoded
    if "sha-256" not in offered:
        raise SignatureError(
            f"only SHA-256 is supported in the Digest header (offered: {', '.join(offered)})"
        )
    expected = base64.b64encode(hashlib.sha256(request.body).digest()).decode()
    if offered["sha-256"] != expected:
        raise SignatureError("the Digest header does not match the body")


# RFC 9421 -------------------------------------------------------------------


@dataclass
class _Message:
    """The view of a request that `http-message-signatures` reads and writes."""

    method: str
    url: str
    headers: CaseInsensitiveDict


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: PublicKey | PrivateKey) -> None:
        self.key = key

    def resolve_public_key(self, key_id: str) -> PublicKey | PrivateKey:
        return self.key

    def resolve_private_key(self, key_id: str) -> PublicKey | PrivateKey:
        return self.key


def _message(request: Request) -> _Message:
    return _Message(request.method.upper(), request.url, CaseInsensitiveDict(request.headers))


def _first_signature(request: Request) -> tuple[str, dict[str, object]]:
    """The label and parameters of the request's first RFC 9421 signature."""
    try:
        inputs = Dictionary()
        inputs.parse((request.header("signature-input") or "").encode())
    except Exception as error:  # http_sf raises ValueError and friends for bad syntax
        raise SignatureError("the Signature-Input header is malformed") from error
    if not inputs:
        raise SignatureError("the Signature-Input header names no signature")
    label, signature_input = next(iter(inputs.items()))
    return label, dict(signature_input.params)


def _rfc9421_key_id(request: Request) -> str:
    key_id = _first_signature(request)[1].get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the signature names no keyid")
    return key_id


def _rfc9421_algorithm(key: PublicKey | PrivateKey, alg: object) -> type:
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return algorithms.ED25519
    if alg == "rsa-pss-sha512":
        return algorithms.RSA_PSS_SHA512
    return algorithms.RSA_V1_5_SHA256


def _verify_rfc9421(request: Request, key: PublicKey, now: datetime) -> Verdict:
    label, params = _first_signature(request)
    if request.body:
        _check_content_digest_syntax(request)
    verifier = HTTPMessageVerifier(
        signature_algorithm=_rfc9421_algorithm(key, params.get("alg")), key_resolver=_OneKey(key)
    )
    verifier.allow_label_only_selection = True  # a relay may add its own signature after it
    verifier.max_clock_skew = SKEW
    created = params.get("created")
    if isinstance(created, int):
        _check_window(_timestamp(str(created), "created"), now, "created time")
    try:
        result = _run_verifier(verifier, request, label)
    except HTTPMessageSignaturesException as error:
        if not isinstance(key, rsa.RSAPublicKey) or "alg" in params:
            raise SignatureMismatch(f"the signature does not hold: {error}") from error
        # An RSA key with no `alg`: the fediverse uses PKCS#1 v1.5; RFC 9421's own examples
        # use RSA-PSS. Both are sound, so try the second before refusing.
        verifier.signature_algorithm = algorithms.RSA_PSS_SHA512
        try:
            result = _run_verifier(verifier, request, label)
        except HTTPMessageSignaturesException:
            raise SignatureMismatch(f"the signature does not hold: {error}") from error
    covered = tuple(
        name
        for name in (str(c).split(";")[0].strip('"') for c in result.covered_components)
        if name != "@signature-params"
    )
    _check_rfc9421_coverage(request, covered)
    return Verdict(str(params["keyid"]), "rfc9421", covered)


def _run_verifier(verifier: HTTPMessageVerifier, request: Request, label: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SignatureVerifyWarning)
        [result] = verifier.verify(
            _message(request),
            max_age=None,  # the window is checked by the caller, against our clock
            expect_label=label,
            body=request.body or None,
        )
    return result


def _check_content_digest_syntax(request: Request) -> None:
    """A malformed Content-Digest is a broken request (400), not an untrusted one (401)."""
    value = request.header("content-digest")
    if value is None:
        raise SignatureError("the Content-Digest header is missing")
    try:
        digests = Dictionary()
        digests.parse(value.encode())
    except Exception as error:
        raise SignatureError("the Content-Digest header is malformed", status=400) from error
    if not any(isinstance(item.value, bytes) for item in digests.values()):
        raise SignatureError("the Content-Digest header holds no digest", status=400)


def _check_rfc9421_coverage(request: Request, covered: Iterable[str]) -> None:
    names = set(covered)
    if "@method" not in names:
        raise SignatureError("the signature must cover @method")
    if "@target-uri" not in names and not {"@authority", "@path"} <= names:
        raise SignatureError("the signature must cover @target-uri")
    if request.body and "content-digest" not in names:
        raise SignatureError("the signature must cover Content-Digest on a request with a body")


# ---------------------------------------------------------------------------- signing


def sign(
    request: Request,
    key_id: str,
    key: PrivateKey,
    *,
    scheme: Scheme = "rfc9421",
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers that sign `request` (Date, Host, digest and signature headers)."""
    now = now or datetime.now(UTC)
    if scheme == "cavage":
        return _sign_cavage(request, key_id, key, now)
    return _sign_rfc9421(request, key_id, key, now)


def _sign_cavage(request: Request, key_id: str, key: PrivateKey, now: datetime) -> dict[str, str]:
    headers = {
        "Host": urlsplit(request.url).netloc,
        "Date": format_datetime(now.astimezone(UTC), usegmt=True),
    }
    signed = ["(request-target)", "host", "date"]
    if request.body or request.method.upper() == "POST":
        digest = base64.b64encode(hashlib.sha256(request.body).digest()).decode()
        headers["Digest"] = f"SHA-256={digest}"
        signed.append("digest")
    draft = Request(request.method, request.url, {**request.headers, **headers}, request.body)
    message = cavage_signing_string(draft, {}, signed, draft.target).encode()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm, signature = "hs2019", key.sign(message)
    else:
        algorithm = "rsa-sha256"
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(signed)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def _sign_rfc9421(request: Request, key_id: str, key: PrivateKey, now: datetime) -> dict[str, str]:
    message = _message(request)
    covered = ["@method", "@target-uri"]
    body = request.body if request.body or request.method.upper() == "POST" else None
    signer = HTTPMessageSigner(
        signature_algorithm=_rfc9421_algorithm(key, None), key_resolver=_OneKey(key)
    )
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label="sig1",
        include_alg=False,  # the key says which algorithm; Mastodon infers it the same way
        covered_component_ids=covered,
        body=body,  # adds and covers Content-Digest
    )
    added = ("content-digest", "signature-input", "signature")
    return {name.title(): message.headers[name] for name in added if name in message.headers}

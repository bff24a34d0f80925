"""Tests for bocage.crypto.proofs: FEP-8b32 / eddsa-jcs-2022 object integrity proofs.

Three groups:
* the W3C vc-di-eddsa eddsa-jcs-2022 test vectors, reproduced byte for byte;
* the scenarios of the FEP-8b32 feature file, run by a tiny Gherkin interpreter;
* failure cases: whatever a remote server sends, ``verify_object`` must answer with
  a verdict and never raise.
"""

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bocage.crypto.keys import IdentityKey, public_key_from_did, public_key_from_multibase
from bocage.crypto.proofs import (
    ProofVerdict,
    canonical_json,
    digest,
    hash_data,
    sign_canonical,
    sign_object,
    verify_object,
)

DATA = Path(__file__).parent.parent / "data" / "vectors"
W3C = DATA / "eddsa-jcs-2022"
FEATURE = DATA / "fep-8b32.feature"


def _text(name: str) -> str:
    # Exact file content, tolerating only a trailing newline an editor may add.
    return (W3C / name).read_text(encoding="utf-8").rstrip("\n")


def _json(name: str) -> Any:
    return json.loads((W3C / name).read_text(encoding="utf-8"))


VECTOR_KEY = IdentityKey.from_private_multibase(_json("keyPair.json")["privateKeyMultibase"])
VECTOR_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


@pytest.fixture
def unsigned() -> dict[str, Any]:
    return _json("unsigned.json")


@pytest.fixture
def signed() -> dict[str, Any]:
    return _json("signedJCS.json")


@pytest.fixture(scope="module")
def key() -> IdentityKey:
    return IdentityKey.generate()


# --- W3C eddsa-jcs-2022 vectors ----------------------------------------------------


def test_vector_key_pair_matches() -> None:
    assert VECTOR_KEY.public_multibase == _json("keyPair.json")["publicKeyMultibase"]


def test_vector_canonical_document(unsigned: dict[str, Any]) -> None:
    assert canonical_json(unsigned) == _text("canonDocJCS.txt").encode()


def test_vector_canonical_proof_config() -> None:
    assert canonical_json(_json("proofConfigJCS.json")) == _text("proofCanonJCS.txt").encode()


def test_vector_combined_hash(unsigned: dict[str, Any]) -> None:
    combined = hash_data(unsigned, _json("proofConfigJCS.json"))
    assert combined.hex() == _text("combinedHashJCS.txt")


def test_vector_sign_reproduces_proof_config(unsigned: dict[str, Any]) -> None:
    method = _json("proofConfigJCS.json")["verificationMethod"]
    proof = sign_object(unsigned, VECTOR_KEY, method, created=VECTOR_CREATED)["proof"]
    config = {name: value for name, value in proof.items() if name != "proofValue"}
    assert canonical_json(config) == _text("proofCanonJCS.txt").encode()


def test_vector_sign_reproduces_signature(unsigned: dict[str, Any]) -> None:
    method = _json("proofConfigJCS.json")["verificationMethod"]
    result = sign_object(unsigned, VECTOR_KEY, method, created=VECTOR_CREATED)
    assert result["proof"]["proofValue"] == _text("sigBTC58JCS.txt")
    assert result == _json("signedJCS.json")


def test_vector_signed_document_verifies(signed: dict[str, Any]) -> None:
    # Resolve the key the way a caller would: from the did:key verificationMethod.
    public = public_key_from_did(signed["proof"]["verificationMethod"])
    verdict = verify_object(signed, public)
    assert verdict == ProofVerdict(True, "", signed["proof"]["verificationMethod"])


def test_vector_signature_is_over_combined_hash(signed: dict[str, Any]) -> None:
    signature = base58.b58decode(signed["proof"]["proofValue"][1:])
    assert VECTOR_KEY.sign(bytes.fromhex(_text("combinedHashJCS.txt"))) == signature


# --- FEP-8b32 feature file ---------------------------------------------------------


@dataclass
class Step:
    keyword: str  # Given / When / Then, with And/But resolved to the previous one
    text: str
    doc: str | None = None


@dataclass
class Scenario:
    name: str
    tags: list[str]
    steps: list[Step] = field(default_factory=list)


STEP_KEYWORDS = {"Given", "When", "Then", "And", "But"}


def _read_doc_string(lines: list[str], start: int) -> tuple[str, int]:
    """Body of a ``\"\"\"`` block opening at ``lines[start]``; returns it and the next index."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    body: list[str] = []
    index = start + 1
    while lines[index].strip() != '"""':
        body.append(lines[index][indent:])
        index += 1
    return "\n".join(body), index + 1


def parse_feature(text: str) -> list[Scenario]:
    """The subset of Gherkin the FEP feature files use: tags, scenarios, steps, doc strings."""
    lines = text.splitlines()
    scenarios: list[Scenario] = []
    tags: list[str] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        first_word = stripped.split(" ", 1)[0]
        if stripped == '"""':
            scenarios[-1].steps[-1].doc, index = _read_doc_string(lines, index)
            continue
        if stripped.startswith("@"):
            tags = stripped.split()
        elif stripped.startswith("Scenario:"):
            scenarios.append(Scenario(stripped.removeprefix("Scenario:").strip(), tags))
            tags = []
        elif first_word in STEP_KEYWORDS:
            steps = scenarios[-1].steps
            keyword = steps[-1].keyword if first_word in {"And", "But"} else first_word
            steps.append(Step(keyword, stripped.split(" ", 1)[1]))
        index += 1
    return scenarios


def _resolve_key(verification_method: str, actor: dict[str, Any] | None) -> bytes:
    """What the inbox will do: find the Multikey in the actor, else read a did:key."""
    if verification_method.startswith("did:key:"):
        return public_key_from_did(verification_method)
    assert actor is not None, "verificationMethod needs an actor document"
    methods = actor.get("assertionMethod", [])
    for method in methods if isinstance(methods, list) else [methods]:
        if method.get("id") == verification_method:
            return public_key_from_multibase(method["publicKeyMultibase"])
    raise AssertionError(f"actor has no assertionMethod {verification_method}")


StepHandler = Callable[[dict[str, Any], re.Match[str], str | None], None]
STEP_HANDLERS: list[tuple[str, re.Pattern[str], StepHandler]] = []


def step(keyword: str, pattern: str) -> Callable[[StepHandler], StepHandler]:
    def register(handler: StepHandler) -> StepHandler:
        STEP_HANDLERS.append((keyword, re.compile(pattern, re.IGNORECASE), handler))
        return handler

    return register


@step("Given", r"^document$")
def _given_document(ctx: dict[str, Any], _: re.Match[str], doc: str | None) -> None:
    ctx["document"] = json.loads(doc or "")


@step("Given", r'^Ed25519 secret key "(?P<key>[^"]+)"$')
def _given_secret_key(ctx: dict[str, Any], match: re.Match[str], _: str | None) -> None:
    ctx["key"] = IdentityKey.from_private_multibase(match["key"])


@step("Given", r'^current time "(?P<time>[^"]+)"$')
def _given_time(ctx: dict[str, Any], match: re.Match[str], _: str | None) -> None:
    ctx["now"] = datetime.fromisoformat(match["time"])


@step("Given", r"^the signed document is$")
def _given_signed(ctx: dict[str, Any], _: re.Match[str], doc: str | None) -> None:
    ctx["signed"] = json.loads(doc or "")


@step("Given", r"^the actor$")
def _given_actor(ctx: dict[str, Any], _: re.Match[str], doc: str | None) -> None:
    ctx["actor"] = json.loads(doc or "")


@step("When", r'^signing the document for key "(?P<method>[^"]+)"$')
def _when_signing(ctx: dict[str, Any], match: re.Match[str], _: str | None) -> None:
    ctx["signed"] = sign_object(ctx["document"], ctx["key"], match["method"], created=ctx["now"])


@step("When", r"^verifying the document$")
def _when_verifying(ctx: dict[str, Any], _: re.Match[str], __: str | None) -> None:
    method = ctx["signed"]["proof"]["verificationMethod"]
    ctx["verdict"] = verify_object(ctx["signed"], _resolve_key(method, ctx.get("actor")))


@step("Then", r"^the signed document is$")
def _then_signed(ctx: dict[str, Any], _: re.Match[str], doc: str | None) -> None:
    # Ed25519 is deterministic, so this pins the exact proofValue as well.
    assert ctx["signed"] == json.loads(doc or "")


@step("Then", r"^the document is valid$")
def _then_valid(ctx: dict[str, Any], _: re.Match[str], __: str | None) -> None:
    assert ctx["verdict"].valid, ctx["verdict"].reason
    assert ctx["verdict"].reason == ""


@step("Then", r"^the document is (?:not valid|invalid)$")
def _then_invalid(ctx: dict[str, Any], _: re.Match[str], __: str | None) -> None:
    assert not ctx["verdict"].valid


def run_step(ctx: dict[str, Any], current: Step) -> None:
    for keyword, pattern, handler in STEP_HANDLERS:
        match = pattern.match(current.text)
        if keyword == current.keyword and match:
            handler(ctx, match, current.doc)
            return
    # A new scenario in the feature file must get a step definition, not be skipped.
    pytest.fail(f"no step definition for: {current.keyword} {current.text}")


SCENARIOS = parse_feature(FEATURE.read_text(encoding="utf-8"))


def test_feature_file_has_the_expected_scenarios() -> None:
    assert [scenario.name for scenario in SCENARIOS] == [
        "Signing document",
        "Verifying a signature",
    ]
    assert all("@fep-8b32" in scenario.tags for scenario in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fep_8b32_scenario(scenario: Scenario) -> None:
    ctx: dict[str, Any] = {}
    for current in scenario.steps:
        run_step(ctx, current)


def _scenario_context(name: str) -> dict[str, Any]:
    """Run the Given steps of a scenario to reuse its documents in failure tests."""
    (scenario,) = [s for s in SCENARIOS if s.name == name]
    ctx: dict[str, Any] = {}
    for current in scenario.steps:
        if current.keyword == "Given":
            run_step(ctx, current)
    return ctx


def test_fep_8b32_tampered_note_is_invalid() -> None:
    ctx = _scenario_context("Verifying a signature")
    ctx["signed"]["object"]["content"] = "Hello world!"
    run_step(ctx, Step("When", "verifying the document"))
    assert ctx["verdict"].reason == "signature does not match"


def test_fep_8b32_float_location_is_canonicalized_like_javascript() -> None:
    # JCS serializes numbers as ECMAScript does; the scenario's floats exercise it.
    document = _scenario_context("Signing document")["document"]
    assert b'"latitude":25.273962,"longitude":-71.184902' in canonical_json(document)


# --- sign_object -------------------------------------------------------------------


def test_sign_returns_a_new_dict_and_leaves_input_alone(
    unsigned: dict[str, Any], key: IdentityKey
) -> None:
    before = copy.deepcopy(unsigned)
    result = sign_object(unsigned, key, key.did)
    assert unsigned == before
    assert result is not unsigned
    result["credentialSubject"]["alumniOf"] = "changed"
    assert unsigned == before


def test_sign_proof_shape(unsigned: dict[str, Any], key: IdentityKey) -> None:
    method = "https://a.example/u/1#main"
    proof = sign_object(unsigned, key, method, created=VECTOR_CREATED)["proof"]
    assert set(proof) == {
        "type",
        "cryptosuite",
        "verificationMethod",
        "proofPurpose",
        "created",
        "proofValue",
        "@context",
    }
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["verificationMethod"] == method
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["created"] == "2023-02-24T23:36:38Z"
    assert proof["@context"] == unsigned["@context"]
    assert proof["proofValue"].startswith("z")
    assert len(base58.b58decode(proof["proofValue"][1:])) == 64


def test_sign_without_context_adds_no_context(key: IdentityKey) -> None:
    proof = sign_object({"type": "Note"}, key, key.did)["proof"]
    assert "@context" not in proof


def test_sign_custom_proof_purpose(unsigned: dict[str, Any], key: IdentityKey) -> None:
    signed = sign_object(unsigned, key, key.did, proof_purpose="authentication")
    assert signed["proof"]["proofPurpose"] == "authentication"
    assert verify_object(signed, key.public, proof_purpose="authentication").valid


def test_sign_defaults_created_to_now(key: IdentityKey) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = sign_object({"a": 1}, key, key.did)["proof"]["created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    assert before <= datetime.fromisoformat(created) <= datetime.now(UTC)


def test_sign_normalizes_created_to_utc_seconds(key: IdentityKey) -> None:
    paris = timezone(timedelta(hours=1))
    created = datetime(2024, 1, 1, 12, 30, 15, 999_999, tzinfo=paris)
    proof = sign_object({"a": 1}, key, key.did, created=created)["proof"]
    assert proof["created"] == "2024-01-01T11:30:15Z"


def test_sign_rejects_naive_created(key: IdentityKey) -> None:
    with pytest.raises(ValueError, match="timezone"):
        sign_object({"a": 1}, key, key.did, created=datetime(2024, 1, 1))


def test_sign_refuses_to_stack_proofs(signed: dict[str, Any], key: IdentityKey) -> None:
    with pytest.raises(ValueError, match="already has a proof"):
        sign_object(signed, key, key.did)


# --- round trips -------------------------------------------------------------------


NESTED_UNICODE = {
    "@context": ["https://www.w3.org/ns/activitystreams", {"toot": "http://joinmastodon.org/ns#"}],
    "type": "Create",
    "actor": "https://bocage.example/users/zoé",
    "object": {
        "type": "Note",
        "content": '<p>Ça marche 🌳 — 木 \u00e9 vs e\u0301, «quotes», "escaped" \\ \t\n\u2028</p>',
        "tag": [{"type": "Hashtag", "name": "#bocage"}, {"type": "Emoji", "name": ":ok:"}],
        "attachment": [],
        "sensitive": False,
        "inReplyTo": None,
        "replies": {"totalItems": 0, "ratio": 0.1, "big": 9007199254740991, "neg": -1e-7},
        "😀": {"nested": [[1, 2, [3, {"deep": "ünïcödé"}]]]},
    },
}


def test_round_trip_nested_unicode(key: IdentityKey) -> None:
    signed = sign_object(NESTED_UNICODE, key, key.did)
    assert verify_object(signed, key.public) == ProofVerdict(True, "", key.did)


def test_round_trip_survives_json_reserialization_and_key_order(key: IdentityKey) -> None:
    # What a receiving server sees: the document re-encoded with other spacing and
    # escaping, keys in another order. JCS makes all of that irrelevant.
    signed = sign_object(NESTED_UNICODE, key, key.did)
    wire = json.dumps(signed, ensure_ascii=True, indent=3, sort_keys=True)
    received = json.loads(wire)
    reordered = dict(reversed(list(received.items())))
    assert verify_object(reordered, key.public).valid


def test_round_trip_without_context(key: IdentityKey) -> None:
    signed = sign_object({"type": "Note", "content": "x"}, key, key.did)
    assert verify_object(signed, key.public).valid


def test_proof_without_context_still_binds_document_context(
    unsigned: dict[str, Any], key: IdentityKey
) -> None:
    # Per the spec the document's @context is put into the proof configuration even
    # when the proof omits it, so dropping it from the proof keeps the proof valid...
    signed = sign_object(unsigned, key, key.did)
    del signed["proof"]["@context"]
    assert verify_object(signed, key.public).valid
    # ...while changing the document's @context still breaks it.
    signed["@context"] = [*signed["@context"], "https://evil.example/ctx"]
    assert verify_object(signed, key.public).reason == "signature does not match"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


# database=None: nothing to replay later, and no .hypothesis/ directory in the tree.
@settings(max_examples=50, deadline=None, database=None)
@given(body=st.dictionaries(st.text(max_size=8).filter(lambda k: k != "proof"), JSON_VALUES))
def test_round_trip_arbitrary_json(body: dict[str, Any]) -> None:
    signed = sign_object(body, VECTOR_KEY, VECTOR_KEY.did, created=VECTOR_CREATED)
    assert verify_object(json.loads(json.dumps(signed)), VECTOR_KEY.public).valid
    signed["tampered"] = True
    assert not verify_object(signed, VECTOR_KEY.public).valid


@given(body=st.dictionaries(st.text(max_size=8).filter(lambda k: k != "proof"), JSON_VALUES))
def test_sign_canonical_bytes_are_rfc8785_of_the_signed_document(body: dict[str, Any]) -> None:
    # Keys such as "\U0001f600" and "\uff61" sort differently by code point and by UTF-16.
    result = sign_canonical(body, VECTOR_KEY, VECTOR_KEY.did, created=VECTOR_CREATED)
    assert result.canonical == canonical_json(result.document)
    assert result.document == sign_object(body, VECTOR_KEY, VECTOR_KEY.did, created=VECTOR_CREATED)
    assert result.digest == digest(result.document)


def test_sign_canonical_orders_keys_by_utf16_code_units() -> None:
    body = {"\U0001f600": 1, "\uff61": 2, "a": 3}
    result = sign_canonical(body, VECTOR_KEY, VECTOR_KEY.did, created=VECTOR_CREATED)
    assert result.canonical == canonical_json(result.document)
    assert result.canonical.index("\U0001f600".encode()) < result.canonical.index("\uff61".encode())


def test_sign_refuses_nan_rather_than_signing_null() -> None:
    with pytest.raises(ValueError):
        sign_object({"x": float("nan")}, VECTOR_KEY, VECTOR_KEY.did)


# --- failures ----------------------------------------------------------------------


def _reason(document: Any, public: bytes = VECTOR_KEY.public) -> str:
    verdict = verify_object(document, public)
    assert not verdict.valid
    assert verdict.reason
    return verdict.reason


def test_tampered_document_is_invalid(signed: dict[str, Any]) -> None:
    signed["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert _reason(signed) == "signature does not match"


def test_added_property_is_invalid(signed: dict[str, Any]) -> None:
    signed["cc"] = "https://www.w3.org/ns/activitystreams#Public"
    assert _reason(signed) == "signature does not match"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("created", "2023-02-24T23:36:39Z"),
        ("verificationMethod", "https://evil.example/key"),
        ("proofPurpose", "authentication"),
        ("expires", "2030-01-01T00:00:00Z"),
    ],
)
def test_tampered_proof_options_are_invalid(signed: dict[str, Any], name: str, value: str) -> None:
    signed["proof"][name] = value
    assert _reason(signed) == "signature does not match"


def test_wrong_key_is_invalid(signed: dict[str, Any], key: IdentityKey) -> None:
    verdict = verify_object(signed, key.public)
    assert verdict == ProofVerdict(
        False, "signature does not match", signed["proof"]["verificationMethod"]
    )


def test_unknown_cryptosuite_is_invalid(signed: dict[str, Any]) -> None:
    signed["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    assert _reason(signed) == "unsupported cryptosuite 'eddsa-rdfc-2022'"


@pytest.mark.parametrize("suite", [None, 2022, ["eddsa-jcs-2022"]], ids=str)
def test_non_string_cryptosuite_is_invalid(signed: dict[str, Any], suite: Any) -> None:
    signed["proof"]["cryptosuite"] = suite
    assert _reason(signed).startswith("unsupported cryptosuite")


def test_missing_cryptosuite_is_invalid(signed: dict[str, Any]) -> None:
    del signed["proof"]["cryptosuite"]
    assert _reason(signed) == "unsupported cryptosuite None"


@pytest.mark.parametrize("proof_type", ["Ed25519Signature2020", None, 1])
def test_unknown_proof_type_is_invalid(signed: dict[str, Any], proof_type: Any) -> None:
    signed["proof"]["type"] = proof_type
    assert _reason(signed).startswith("unsupported proof type")


@pytest.mark.parametrize("purpose", [None, "", 7])
def test_missing_proof_purpose_is_invalid(signed: dict[str, Any], purpose: Any) -> None:
    signed["proof"]["proofPurpose"] = purpose
    assert _reason(signed) == "missing proofPurpose"


def test_unexpected_proof_purpose_is_invalid(signed: dict[str, Any]) -> None:
    verdict = verify_object(signed, VECTOR_KEY.public, proof_purpose="authentication")
    assert verdict.reason == "unexpected proofPurpose 'assertionMethod'"


@pytest.mark.parametrize("method", [None, "", 42, {"id": "x"}], ids=str)
def test_missing_verification_method_is_invalid(signed: dict[str, Any], method: Any) -> None:
    signed["proof"]["verificationMethod"] = method
    verdict = verify_object(signed, VECTOR_KEY.public)
    assert (verdict.valid, verdict.reason) == (False, "missing verificationMethod")
    assert verdict.verification_method is None


@pytest.mark.parametrize("created", ["yesterday", "2023-02-24", "2023-02-24T23:36:38", 1677281798])
def test_malformed_created_is_invalid(signed: dict[str, Any], created: Any) -> None:
    signed["proof"]["created"] = created
    assert _reason(signed) == "malformed created timestamp"


SIGNATURE = _json("signedJCS.json")["proof"]["proofValue"]
MALFORMED_PROOF_VALUES = {
    "missing": ...,
    "none": None,
    "number": 12345,
    "list": [SIGNATURE],
    "empty": "",
    "prefix only": "z",
    "no multibase prefix": SIGNATURE[1:],
    "base64url multibase": "u" + SIGNATURE[1:],
    "hex multibase": "f" + base58.b58decode(SIGNATURE[1:]).hex(),
    "invalid base58 characters": SIGNATURE[:10] + "0OIl" + SIGNATURE[14:],
    "trailing whitespace": SIGNATURE + "\n",
    "63 bytes": "z" + base58.b58encode(b"\x01" * 63).decode(),
    "65 bytes": "z" + base58.b58encode(b"\x01" * 65).decode(),
    "huge": "z" + "2" * 1_000_000,
}


@pytest.mark.parametrize(
    "proof_value", MALFORMED_PROOF_VALUES.values(), ids=MALFORMED_PROOF_VALUES.keys()
)
def test_malformed_proof_value_is_invalid(signed: dict[str, Any], proof_value: Any) -> None:
    if proof_value is ...:
        del signed["proof"]["proofValue"]
    else:
        signed["proof"]["proofValue"] = proof_value
    assert _reason(signed).startswith("malformed proofValue")


def test_missing_proof_is_invalid(unsigned: dict[str, Any]) -> None:
    assert verify_object(unsigned, VECTOR_KEY.public) == ProofVerdict(False, "no proof", None)


def test_proof_set_is_rejected(signed: dict[str, Any]) -> None:
    signed["proof"] = [signed["proof"]]
    assert _reason(signed) == "proof sets are not supported"


@pytest.mark.parametrize("proof", [None, "proof", 1, True], ids=str)
def test_non_object_proof_is_invalid(signed: dict[str, Any], proof: Any) -> None:
    signed["proof"] = proof
    assert _reason(signed) == "proof is not a JSON object"


@pytest.mark.parametrize("document", [None, [], "document", 3, b"{}"], ids=str)
def test_non_object_document_is_invalid(document: Any) -> None:
    assert _reason(document) == "document is not a JSON object"


def test_context_mismatch_is_invalid(signed: dict[str, Any]) -> None:
    signed["proof"]["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    assert _reason(signed) == "@context mismatch"


def test_appended_document_context_is_invalid(signed: dict[str, Any]) -> None:
    # The W3C text would accept a document @context that merely starts with the
    # proof's; bocage deliberately requires them to be equal.
    signed["@context"] = [*signed["@context"], "https://evil.example/ctx"]
    assert _reason(signed) == "@context mismatch"


def test_proof_context_without_document_context_is_invalid(signed: dict[str, Any]) -> None:
    del signed["@context"]
    assert _reason(signed) == "@context mismatch"


@pytest.mark.parametrize(
    "public", [b"", b"\x00" * 31, "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", None], ids=str
)
def test_malformed_public_key_is_invalid(signed: dict[str, Any], public: Any) -> None:
    assert _reason(signed, public) == "malformed public key"


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**60, "\ud800", {1: "non-string key"}, {"set"}],
    ids=["nan", "infinity", "huge-int", "lone-surrogate", "int-key", "set"],
)
def test_uncanonicalizable_document_is_invalid(signed: dict[str, Any], value: Any) -> None:
    signed["extra"] = value
    assert _reason(signed) == "document cannot be canonicalized"


def _deeply_nested(depth: int = 100_000) -> list[Any]:
    deep: list[Any] = []
    for _ in range(depth):
        deep = [deep]
    return deep


def test_deeply_nested_document_does_not_raise(signed: dict[str, Any]) -> None:
    signed["extra"] = _deeply_nested()
    assert _reason(signed) == "document cannot be canonicalized"


def test_deeply_nested_contexts_do_not_raise(signed: dict[str, Any]) -> None:
    signed["@context"] = _deeply_nested()
    signed["proof"]["@context"] = _deeply_nested()
    assert _reason(signed) == "@context mismatch"


# --- canonical_json / digest -------------------------------------------------------


def test_canonical_json_sorts_keys_and_formats_numbers() -> None:
    value = {"b": [1.0, 1e21, -0.0, 0.1], "a": "é", "A": None}
    assert canonical_json(value) == '{"A":null,"a":"é","b":[1,1e+21,0,0.1]}'.encode()


def test_digest_is_sha256_of_canonical_form(unsigned: dict[str, Any]) -> None:
    expected = hashlib.sha256(_text("canonDocJCS.txt").encode()).hexdigest()
    assert digest(unsigned) == f"sha256:{expected}"


def test_digest_ignores_key_order_and_whitespace(unsigned: dict[str, Any]) -> None:
    shuffled = json.loads(json.dumps(dict(reversed(list(unsigned.items()))), indent=5))
    assert digest(shuffled) == digest(unsigned)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest(unsigned))


def test_an_embedded_signed_object_is_canonicalized_once_with_the_same_result() -> None:
    key = IdentityKey.generate()
    method = f"{key.did}#{key.public_multibase}"
    moment = datetime(2026, 11, 22, tzinfo=UTC)
    note = sign_canonical({"id": "https://a.example/n/1", "content": "é 🌳"}, key, method)
    create = {"id": "https://a.example/c/1", "type": "Create", "object": note.document}
    reused = sign_canonical(create, key, method, created=moment, embedded=note)
    computed = sign_canonical(create, key, method, created=moment)
    assert reused.canonical == computed.canonical
    assert reused.document == computed.document
    with pytest.raises(ValueError, match="own `object`"):
        sign_canonical({**create, "object": dict(note.document)}, key, method, embedded=note)

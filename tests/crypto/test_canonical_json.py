"""`proofs.canonical_json` takes orjson's fast path for plain documents: it must give the
`rfc8785` package's bytes for every JSON value, or refuse exactly what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from bocage.crypto import proofs
from bocage.crypto.proofs import canonical_json

PAYLOADS = Path(__file__).parent.parent / "data" / "payloads"
# Text that reaches the edges: ASCII controls, both sides of the surrogates, characters
# whose UTF-16 order differs from their code point order, lone surrogates.
EDGES = ["\x00", "\x1f", "\x7f", '"', "\\", "/", "\u2028", "\ud7ff", "\ue000", "\uffff"]
EDGES += ["\U00010000", "\U0001f600", "\ud800", "é"]
text = st.text() | st.sampled_from(EDGES) | st.lists(st.sampled_from(EDGES)).map("".join)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53)])
    | st.floats()
    | text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=30,
)


def reference(value: Any) -> bytes | type[Exception]:
    """rfc8785's bytes, or the kind of error it raises (all are ValueErrors)."""
    try:
        return rfc8785.dumps(value)
    except ValueError as refused:
        return type(refused)


def ours(value: Any) -> bytes | type[Exception]:
    try:
        return canonical_json(value)
    except ValueError as refused:
        return type(refused)


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_any_value_canonicalizes_as_rfc8785_does(value: Any) -> None:
    assert ours(value) == reference(value)


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("**/*.json")), ids=lambda p: p.name)
def test_real_payloads_canonicalize_as_rfc8785_does(path: Path) -> None:
    document = orjson.loads(path.read_bytes())
    assert canonical_json(document) == rfc8785.dumps(document)


def test_what_the_fast_path_leaves_to_rfc8785() -> None:
    assert proofs._plain({"name": ["text", 1, True, None, {"a": -(2**53) + 1}]})
    assert not proofs._plain({"focalPoint": [0.5, -0.25]})  # fractions: ECMAScript's format
    assert not proofs._plain({"\u00e9t\u00e9": 1})  # a member name beyond ASCII: UTF-16 order
    assert not proofs._plain(2**53)  # beyond JCS's integers: refused by rfc8785
    assert not proofs._plain((1, 2))  # not JSON at all

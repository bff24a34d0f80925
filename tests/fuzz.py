"""Hypothesis strategies shared by the property tests over what comes from outside: JSON
values of every type, documents grown from real payloads with any field replaced by any
value, HTML meant to slip past a sanitizer, and the check that a normalized value has the
types its dataclass declares (a wrong type reaching the store is a crash there)."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

PAYLOADS = Path(__file__).parent / "data" / "payloads"

# Text as servers send it, and text no one should: NUL, right-to-left marks, very long runs.
# No lone surrogates: no decoder of outside input yields one. JSON spells them (`"\ud800"`)
# for the decoder to refuse: SCALARS has one.
ODD_TEXT = ["", "\x00", "\u202e", "https://", "http://x/" + "a" * 600, "9" * 30, "-1", "acct:",
            "@", "#", "null", "<p>hi</p>"]  # fmt: skip
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40), st.sampled_from(ODD_TEXT)
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.just("\ud800"),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def payloads(*names: str) -> list[dict[str, Any]]:
    """Real documents from tests/data/payloads (`server/file.json`)."""
    return [json.loads((PAYLOADS / name).read_text()) for name in names]


def mutated(seeds: list[dict[str, Any]], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A seed document with some of its fields (and of `keys`) replaced by any JSON value,
    some removed, and its embedded object (if any) mutated the same way."""

    def grow(seed: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        names = sorted(set(seed) | set(keys))
        replaced = st.dictionaries(st.sampled_from(names), JSON, max_size=4)
        removed = st.sets(st.sampled_from(names), max_size=2)
        inner = seed.get("object")
        embedded = mutated([inner], keys) if isinstance(inner, dict) else st.just(inner)
        return st.builds(_apply, st.just(seed), replaced, removed, embedded)

    return st.sampled_from(seeds).flatmap(grow)


def _apply(seed: dict[str, Any], replaced: dict[str, Any], removed: set[str], inner: Any) -> Any:
    document = {key: value for key, value in seed.items() if key not in removed}
    if "object" in document and "object" not in replaced:
        document["object"] = inner
    return {**document, **replaced}


# HTML meant to get a script, an event handler or a javascript: URL through.
_TAGS = ["script", "a", "img", "p", "span", "style", "svg", "iframe", "math", "object", "b",
         "br", "form", "input", "base", "meta", "body", "template", "noscript", "li"]  # fmt: skip
_ATTRIBUTES = ["href", "src", "onclick", "onerror", "style", "class", "xlink:href", "action",
               "formaction", "srcset", "rel", "target", "on", "data"]  # fmt: skip
_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
         "&#106;avascript:alert(1)", "&#x6A;avascript:x", " javascript:x", "vbscript:x",
         "data:text/html,<script>x</script>", "https://ok.example/", "//evil.example",
         "http://x/\"onmouseover=\"x"]  # fmt: skip
_PIECE = st.one_of(
    st.builds(
        lambda t, a, v, q: f"<{t} {a}={q}{v}{q}>",
        st.sampled_from(_TAGS),
        st.sampled_from(_ATTRIBUTES),
        st.sampled_from(_URLS) | TEXT,
        st.sampled_from(['"', "'", ""]),
    ),
    st.builds(lambda t: f"</{t}>", st.sampled_from(_TAGS)),
    st.sampled_from(
        [
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<",
            ">",
            "&",
            "&lt;script&gt;",
            "<scr<script>ipt>",
            "<?xml?>",
            "\x00",
            "<a/href=javascript:x>",
        ]
    ),
    TEXT,
)
HTML = st.lists(_PIECE, max_size=12).map("".join)


def well_typed(value: Any) -> list[str]:
    """Where a dataclass instance holds a value its annotations do not allow (empty: none)."""
    hints = typing.get_type_hints(type(value))
    return [
        f"{found.name} = {getattr(value, found.name)!r:.80}"
        for found in dataclasses.fields(value)
        if not _is(getattr(value, found.name), hints[found.name])
    ]


def _is(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_is(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_is(item, args[0]) for item in value)
        return len(args) == len(value) and all(map(_is, value, args))
    if origin is dict:
        return isinstance(value, dict) and all(
            _is(k, args[0]) and _is(v, args[1]) for k, v in value.items()
        )
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and not well_typed(value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    return isinstance(value, hint)

"""The machinery of the route walk (test_route_walk.py): requests for every route of the app,
with each path parameter replaced in turn by extreme values, garbage in the query parameters
and body fields each route reads, and bodies that are not what anyone expects.

Which names a route reads comes from its contract: the Mastodon API from the OpenAPI
description (bocage/mastodon_api/data/), the web pages from the forms of the templates
that post to them, the rest from COMMON below. Garbage goes once into every name at a time
(one value for all) and once into each name alone (the others left out), so that a refusal
of the first name read does not hide a crash on the next."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tests.mastodon_api.openapi import document
from tests.mastodon_api.sweep import Description, concrete, parameters

TEMPLATES = Path(__file__).parents[2] / "bocage" / "web" / "templates"

# Path parameters: 0 and a negative number, one past the largest id and a number no column
# holds, letters, a NUL, a Unicode digit ("²", which `isdigit()` takes), a lone byte that is
# no UTF-8, a dot segment, and strings longer than any id or name.
EXTREME = ["0", "-1", str(2**63), str(10**20), "abc", "%00", "%C2%B2", "%FF", "%2E%2E",
           "9" * 5000, "a" * 3000]  # fmt: skip

# Query and form values, all names at once: numbers no column holds, a string too long for
# `int()`, letters, a NUL, Unicode digits (`isdigit()` takes them), nothing.
GARBAGE = ["-1", "1" + "0" * 20, "9" * 5000, "abc", "\x00", "²", ""]
# … and one name at a time, taking these in turn: numbers Python reads but no database holds,
# a lone surrogate (no UTF-8 once encoded), lookalikes of arrays and booleans.
KILLERS = [str(10**20), "9" * 5000, "²", "-1", "\x00", "1e400", "nan", "٣", "1.5", "\udcff",
           "a" * 3000, "[]", "true", "%"]  # fmt: skip
# JSON values, all names at once, then one name at a time with each type in turn.
JSON_GARBAGE: list[Any] = [None, 2**63, "9" * 5000, [], {}, "²"]
JSON_KILLERS: list[Any] = [10**20, -1, "abc", "\x00", True, 1.5, 1e308, "", [["x"]],
                           {"a": {"b": 1}}, *JSON_GARBAGE]  # fmt: skip
# Bodies that are no JSON object, or no JSON at all, or no UTF-8.
RAW_BODIES = [b"[]", b'"x"', b"{", b"\xff\xfe{}", b"[" * 1000 + b"]" * 1000]

# Query names every route is tried with, whatever it declares.
COMMON = ["max_id", "since_id", "min_id", "limit", "offset", "after", "page", "id[]", "types[]",
          "q", "resolve"]  # fmt: skip
# Names read by routes no contract above describes (ActivityPub, peers, web pages' queries).
READ_BY: dict[str, list[str]] = {
    "/.well-known/webfinger": ["resource", "rel"],
    "/.well-known/host-meta": ["format"],
    "/.well-known/apgateway/{did}/log": ["after", "limit"],
    "/users/{username}/outbox": ["page", "min_id", "max_id"],
    "/users/{username}/followers": ["page"],
    "/users/{username}/following": ["page"],
    "/oauth/authorize": ["client_id", "redirect_uri", "response_type", "scope", "state",
                         "code_challenge", "code_challenge_method", "force_login", "lang"],
    "/api/v1/streaming/{path:path}": ["stream", "list", "tag", "access_token"],
    "/@{username}": ["max_id", "replies", "media", "tagged"],
    "/search": ["q", "resolve"],
    "/compose": ["reply_to"],
    "/home": ["max_id", "min_id", "limit"],
    "/local": ["max_id", "min_id", "limit"],
    "/": ["max_id", "min_id", "limit"],
    "/tags/{tag}": ["max_id", "min_id", "limit"],
    "/login": ["next"],
}  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """One request. `form` fields are sent url-encoded (with the CSRF field of whoever sends
    it), `body` as is with its `content_type`."""

    method: str
    path: str  # already percent-encoded
    query: str = ""
    form: tuple[tuple[str, str], ...] | None = None
    body: bytes | None = None
    content_type: str = ""

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def __str__(self) -> str:
        sent = self.form if self.form is not None else self.body
        return f"{self.method} {_short(self.target)} {_short(repr(sent)) if sent else ''}".strip()


def _short(text: str, keep: int = 160) -> str:
    return text if len(text) <= keep else f"{text[:keep]}…({len(text)} chars)"


Fill = Callable[[str, str], str]  # (app path, parameter name) -> a value that names something


def probes(
    method: str, app_path: str, fill: Fill, names: list[tuple[str, ...]], *, json: bool = True
) -> list[Probe]:
    """Every request the walk makes of one route (JSON bodies only if it may read JSON:
    the web pages take forms)."""
    found = list(_path_probes(method, app_path, fill))
    path = _filled(app_path, fill)
    if method in ("GET", "HEAD"):
        found += _query_probes(method, path, names)
    else:
        found += _body_probes(method, path, names, json=json)
    return found


def _filled(app_path: str, fill: Fill, **given: str) -> str:
    values = {name: given.get(name) or quote(fill(app_path, name), safe=":@")
              for name in parameters(app_path)}  # fmt: skip
    return concrete(app_path, values)


def _path_probes(method: str, app_path: str, fill: Fill) -> Iterator[Probe]:
    form = () if method != "GET" else None  # a form with only its CSRF field
    for name in parameters(app_path):
        for value in EXTREME:
            yield Probe(method, _filled(app_path, fill, **{name: value}), form=form)


def _query_probes(method: str, path: str, names: list[tuple[str, ...]]) -> Iterator[Probe]:
    """Garbage in every name at once (those the route declares and COMMON), then in each
    declared name alone."""
    declared = list(dict.fromkeys(_form_name(name) for name in names))
    flat = list(dict.fromkeys([*declared, *COMMON]))
    for value in GARBAGE:
        yield Probe(method, path, encode([(name, value) for name in flat]))
    for i, name in enumerate(declared):
        yield Probe(method, path, encode([(name, KILLERS[i % len(KILLERS)])]))


def _body_probes(
    method: str, path: str, names: list[tuple[str, ...]], *, json: bool
) -> Iterator[Probe]:
    flat = list(dict.fromkeys(_form_name(name) for name in names)) or ["id"]
    for value in GARBAGE:
        yield Probe(method, path, form=tuple((name, value) for name in flat))
    for i, name in enumerate(flat):
        yield Probe(method, path, form=((name, KILLERS[i % len(KILLERS)]),))
    form = "application/x-www-form-urlencoded"
    yield Probe(method, path, body=b"a=%FF%FE&b=\xff", content_type=form)
    if not json:
        yield Probe(method, path, body=RAW_BODIES[-1], content_type="application/json")
        return
    for value in JSON_GARBAGE:
        yield _json(method, path, _nested(names or [("id",)], value))
    for i, name in enumerate(names):
        yield _json(method, path, _nested([name], JSON_KILLERS[i % len(JSON_KILLERS)]))
    for raw in RAW_BODIES:
        yield Probe(method, path, body=raw, content_type="application/json")


def _json(method: str, path: str, document: Any) -> Probe:
    return Probe(method, path, body=json.dumps(document).encode(), content_type="application/json")


def _form_name(name: tuple[str, ...]) -> str:
    """("poll", "options[]") → "poll[options][]", as Rails (and Mastodon's clients) spell it."""
    head, *rest = name
    return head + "".join(f"[{part.removesuffix('[]')}]" + ("[]" if part.endswith("[]") else "")
                          for part in rest)  # fmt: skip


def _nested(names: Iterable[tuple[str, ...]], value: Any) -> dict[str, Any]:
    """A JSON object with `value` at each name (an array name gets a list of it)."""
    found: dict[str, Any] = {}
    for name in names:
        where = found
        for part in name[:-1]:
            where = where.setdefault(part.removesuffix("[]"), {})
            if not isinstance(where, dict):
                break
        else:
            last = name[-1]
            where[last.removesuffix("[]")] = [value] if last.endswith("[]") else value
    return found


def encode(pairs: list[tuple[str, str]]) -> str:
    """Url-encoded, lone surrogates as the bytes they stand for (so: not UTF-8)."""
    return urlencode(pairs, errors="surrogatepass")


# ------------------------------------------------------------------ what each route reads


class Contracts:
    """The parameter names each route reads, from the contracts that describe them."""

    def __init__(self) -> None:
        self.description = Description()
        self.forms = _template_forms()

    def names(self, method: str, app_path: str) -> list[tuple[str, ...]]:
        if app_path in READ_BY:
            return [(name,) for name in READ_BY[app_path]]
        if app_path.startswith(("/api/", "/oauth/")):
            return self._described(method, app_path)
        return self._posted(app_path) if method == "POST" else []

    def _described(self, method: str, app_path: str) -> list[tuple[str, ...]]:
        template = self.description.template(method, concrete(app_path))
        if template is None:
            return []
        operation = self.description.paths[template][method.lower()]
        names = [(p["name"],) for p in operation.get("parameters", []) if p.get("in") == "query"]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            names += _properties(content.get("schema", {}))
        return list(dict.fromkeys(names))

    def _posted(self, app_path: str) -> list[tuple[str, ...]]:
        parts = re.split(r"(\{[^}]+\})", app_path)
        pattern = re.compile("".join("[^/]+" if p[:1] == "{" else re.escape(p) for p in parts))
        names = [n for action, fields in self.forms for n in fields if pattern.fullmatch(action)]
        return [(name,) for name in dict.fromkeys(names) if name != "csrf"]


def _properties(schema: Mapping[str, Any], depth: int = 0) -> list[tuple[str, ...]]:
    """The names a request body schema declares, objects one level deep."""
    schema = _resolved(schema)
    found: list[tuple[str, ...]] = []
    for part in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(part, []):
            found += _properties(option, depth)
    for name, value in schema.get("properties", {}).items():
        value = _resolved(value)
        inner = _properties(value, depth + 1) if value.get("type") == "object" and depth < 1 else []
        array = value.get("type") == "array" and not name.endswith("[]")
        found += [(name, *rest) for rest in inner] or [(name + "[]" if array else name,)]
    return found


def _resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        found: Any = document()
        for part in ref[2:].split("/"):
            found = found[part]
        return _resolved(found)  # type: ignore[no-any-return]
    return schema


_FORM = re.compile(r"<form\b[^>]*\baction=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S)
_NAME = re.compile(r"\bname=\"([^\"{]+)")
_JINJA = re.compile(r"\{\{.*?\}\}|%d")


def _template_forms() -> list[tuple[str, list[str]]]:
    """(action, field names) of every form of the web pages; an action computed in the
    template (`{{ … }}`) becomes one path segment of anything, and one chosen between
    quoted paths gives each of them."""
    found = []
    for template in TEMPLATES.rglob("*.html"):
        for action, body in _FORM.findall(template.read_text()):
            fields = _NAME.findall(body)
            quoted = re.findall(r"'(/[^']*)'", action)
            for path in quoted or [action]:
                found.append((_JINJA.sub("x", path), fields))
    return found

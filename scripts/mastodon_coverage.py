#!/usr/bin/env python3
"""How much of the Mastodon client API Bocage covers, read from the client library itself.

Mastodon.py (the version pinned in pyproject.toml) annotates every method with the Mastodon
release that added it and last changed it (`@api_version(created, last_changed)`), and its
entity definitions (`mastodon/return_types.py`) say in which release each field came. This
script reads that source with `ast` (nothing of Mastodon.py is run) and writes two tables into
the end of docs/mastodon_api.md, between marker comments:

- the **endpoints**: every request a Mastodon.py method sends (`self.__api_request(METHOD,
  PATH)`, the streams, the app registration), with the path as a template
  (`/api/v1/accounts/{id}`), and whether Bocage serves it. That is computed: a sample path is
  matched against Bocage's own route table (bocage.app.face_routes) with Starlette's own
  matching, and a route that only catches a literal segment of the path as a parameter
  (`/notifications/{id}` for `/notifications/unread_count`) does not count. A hand-kept file,
  scripts/mastodon_coverage_notes.toml, adds the rows answered as a Mastodon server with the
  feature switched off answers, and those deliberately not served, each with its reason.
- the **entity fields**: every field of every entity, and what a real node sends for it.
  That needs a node: tests/mastodon_api/coverage_collect.py drives one with Mastodon.py and
  records, from the raw answers, which fields each entity had (present, null, absent);
  tests/data/mastodon_coverage_fields.json keeps the record, which this script reads.

    python scripts/mastodon_coverage.py            # print the summary
    python scripts/mastodon_coverage.py --write    # rewrite the section of the doc
    python scripts/mastodon_coverage.py --check    # exit 1 if the doc is not what --write writes
    python scripts/mastodon_coverage.py --collect --write   # record the fields again (a node)

tests/mastodon_api/test_coverage.py fails when the doc's section is not what this script would
write now, and (slower, with a node) when the record of fields is not what the node sends.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "mastodon_api.md"
NOTES = ROOT / "scripts" / "mastodon_coverage_notes.toml"
OBSERVED = ROOT / "tests" / "data" / "mastodon_coverage_fields.json"
BEGIN = "<!-- coverage:begin -->"
END = "<!-- coverage:end -->"
LIBRARY = "Mastodon.py"
LIBRARY_VERSION = "2.3.3"

Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    major, minor, patch = (int(re.match(r"\d*", part).group(0) or 0) for part in text.split("."))  # type: ignore[union-attr]
    return (major, minor, patch)


def show_version(version: Version | None) -> str:
    return "—" if version is None else ".".join(str(part) for part in version)


def library_dir() -> Path:
    """The installed Mastodon.py package's directory (found, not imported)."""
    spec = importlib.util.find_spec("mastodon")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Mastodon.py is not installed: `make install` first")
    installed = importlib.metadata.version(LIBRARY)
    if installed != LIBRARY_VERSION:
        raise SystemExit(
            f"{LIBRARY} {installed} is installed; these tables are for {LIBRARY_VERSION}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


# ---------------------------------------------------------------------------------------------
# Endpoints: the requests each Mastodon.py method sends
# ---------------------------------------------------------------------------------------------


class Unknown:
    """A value the static reading cannot tell (a server's answer, a computed string)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
Value = str | bool | None | Unknown
REQUEST = "__api_request"
STREAMS = ("__stream", "__stream_or_subscribe")
HTTP_CALLS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
# Methods that only find out which server this is: followed, every method would send their
# requests too.
NOT_FOLLOWED = {"verify_minimum_version", "retrieve_mastodon_version", "timeline_is_available"}


@dataclass(frozen=True)
class Method:
    name: str
    area: str  # the Mastodon.py module: accounts, statuses, admin…
    node: ast.FunctionDef
    added: Version | None
    changed: Version | None
    returns: str | None  # the entity the return annotation names, if one


@dataclass(frozen=True, order=True)
class Endpoint:
    path: str
    method: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Row:
    """One request one Mastodon.py method sends."""

    function: str
    area: str
    endpoint: Endpoint
    added: Version | None
    changed: Version | None
    strict: Version | None  # what Mastodon.py's strict mode asks of the server for it


def read_methods(source: Path, entity_versions: dict[str, Version]) -> dict[str, Method]:
    methods: dict[str, Method] = {}
    for module in sorted(source.glob("*.py")):
        if module.name in ("return_types.py", "types_base.py"):
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for cls in tree.body:
            if not (isinstance(cls, ast.ClassDef) and cls.name == "Mastodon"):
                continue
            for item in cls.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                added = changed = None
                for decorator in item.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and isinstance(decorator.func, ast.Name)
                        and decorator.func.id == "api_version"
                    ):
                        created_arg, changed_arg = decorator.args[:2]
                        added = parse_version(ast.literal_eval(created_arg))
                        changed = parse_version(ast.literal_eval(changed_arg))
                returns = None
                if isinstance(item.returns, ast.Name) and item.returns.id in entity_versions:
                    returns = item.returns.id
                methods[item.name] = Method(item.name, module.stem, item, added, changed, returns)
    return methods


class Reader:
    """Reads, statically, which requests a method sends: the path expressions are evaluated with
    what is known (string constants, the caller's arguments, defaults), `if` branches on known
    values are followed as Python would, and an unknown part of a path becomes `{name}`."""

    def __init__(self, methods: dict[str, Method]) -> None:
        self.methods = methods

    def requests(self, method: Method) -> list[Endpoint]:
        found = self._run(method, {}, depth=0, follow=self._sends_itself(method) is False)
        unique: list[Endpoint] = []
        for endpoint in found:
            if endpoint not in unique:
                unique.append(endpoint)
        return unique

    def _sends_itself(self, method: Method) -> bool:
        for node in ast.walk(method.node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in (REQUEST, *STREAMS) or _http_verb(node) is not None:
                    return True
        return False

    def _run(
        self, method: Method, bound: dict[str, Value], *, depth: int, follow: bool
    ) -> list[Endpoint]:
        env: dict[str, Value] = {}
        arguments = method.node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        pairs = [*zip(positional, defaults, strict=True)]
        pairs += zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        for arg, default in pairs:
            if arg.arg in bound:
                env[arg.arg] = bound[arg.arg]
            elif default is not None:
                env[arg.arg] = self._eval(default, {})
                if env[arg.arg] is UNKNOWN:
                    env[arg.arg] = "{" + arg.arg + "}"
            else:
                env[arg.arg] = "{" + arg.arg + "}"
        found: list[Endpoint] = []
        self._block(method.node.body, env, found, depth=depth, follow=follow)
        return found

    def _block(
        self,
        body: Sequence[ast.stmt],
        env: dict[str, Value],
        found: list[Endpoint],
        *,
        depth: int,
        follow: bool,
    ) -> None:
        for statement in body:
            if isinstance(statement, ast.If):
                test = self._truth(statement.test, env)
                if test is True:
                    self._block(statement.body, env, found, depth=depth, follow=follow)
                elif test is False:
                    self._block(statement.orelse, env, found, depth=depth, follow=follow)
                else:  # both ways; a value set only on one side keeps the one known
                    left, right = dict(env), dict(env)
                    self._block(statement.body, left, found, depth=depth, follow=follow)
                    self._block(statement.orelse, right, found, depth=depth, follow=follow)
                    for name in {*left, *right}:
                        a, b = left.get(name, UNKNOWN), right.get(name, UNKNOWN)
                        if a == b or b is UNKNOWN:
                            env[name] = a
                        elif a is UNKNOWN:
                            env[name] = b
                        else:  # two known values: the one it had before, if either
                            env[name] = env.get(name, a)
                continue
            if isinstance(statement, ast.FunctionDef | ast.ClassDef):
                continue
            self._calls(statement, env, found, depth=depth, follow=follow)
            if isinstance(statement, ast.Assign):
                value = self._eval(statement.value, env)
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        env[target.id] = value
            elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
                before = env.get(statement.target.id, UNKNOWN)
                added = self._eval(statement.value, env)
                both_text = isinstance(before, str) and isinstance(added, str)
                addition = isinstance(statement.op, ast.Add) and both_text
                env[statement.target.id] = f"{before}{added}" if addition else UNKNOWN
            for inner in ("body", "orelse", "finalbody"):
                nested = getattr(statement, inner, None)
                if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
                    self._block(nested, env, found, depth=depth, follow=follow)
            for handler in getattr(statement, "handlers", []):
                self._block(handler.body, env, found, depth=depth, follow=follow)

    def _calls(
        self,
        statement: ast.stmt,
        env: dict[str, Value],
        found: list[Endpoint],
        *,
        depth: int,
        follow: bool,
    ) -> None:
        """The requests sent by the calls in one statement (not in its nested blocks)."""
        for node in _own_nodes(statement):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            on_self = isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
            if on_self and attr == REQUEST and len(node.args) >= 2:
                verb = node.args[0]
                if isinstance(verb, ast.Constant) and isinstance(verb.value, str):
                    self._add(found, verb.value, self._eval(node.args[1], env))
            elif on_self and attr in STREAMS and node.args:
                self._add(found, "GET", self._eval(node.args[0], env))
            elif (verb_name := _http_verb(node)) is not None and node.args:
                self._add(found, verb_name, self._eval(node.args[0], env))
            elif follow and on_self and attr in self.methods and self._followed(attr):
                if depth > 4:
                    continue
                callee = self.methods[attr]
                bound = self._bind(callee, node, env)
                found += self._run(callee, bound, depth=depth + 1, follow=True)

    def _followed(self, name: str) -> bool:
        return name not in NOT_FOLLOWED and self.methods[name].area not in ("internals", "utility")

    def _bind(self, callee: Method, call: ast.Call, env: dict[str, Value]) -> dict[str, Value]:
        names = [arg.arg for arg in [*callee.node.args.posonlyargs, *callee.node.args.args]]
        if names and names[0] == "self":
            names = names[1:]
        bound: dict[str, Value] = {}
        for name, value in zip(names, call.args, strict=False):
            bound[name] = self._eval(value, env)
        for keyword in call.keywords:
            if keyword.arg is not None:
                bound[keyword.arg] = self._eval(keyword.value, env)
        return bound

    def _add(self, found: list[Endpoint], verb: str, path: Value) -> None:
        if not isinstance(path, str):
            return
        path = path.split("?", 1)[0]
        if not path.startswith("/"):
            return
        if path != "/":
            path = path.rstrip("/")
        found.append(Endpoint(path, verb.upper()))

    def _truth(self, test: ast.expr, env: dict[str, Value]) -> bool | None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._truth(test.operand, env)
            return None if inner is None else not inner
        if isinstance(test, ast.Name):
            value = env.get(test.id, UNKNOWN)
            if value is UNKNOWN or (isinstance(value, str) and "{" in value):
                return None
            return bool(value)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left = self._eval(test.left, env)
            right = self._eval(test.comparators[0], env)
            if left is UNKNOWN or right is UNKNOWN:
                return None
            equal = _equal(left, right)
            op = test.ops[0]
            if equal is None:
                return None
            if isinstance(op, ast.Is | ast.Eq):
                return equal
            if isinstance(op, ast.IsNot | ast.NotEq):
                return not equal
        return None

    def _eval(self, node: ast.expr, env: dict[str, Value]) -> Value:
        if isinstance(node, ast.Constant):
            value = node.value
            return value if isinstance(value, str | bool) or value is None else UNKNOWN
        if isinstance(node, ast.Name):
            if node.id == "api_base_url":
                return ""
            return env.get(node.id, UNKNOWN)
        if isinstance(node, ast.Attribute):
            return "" if node.attr == "api_base_url" else UNKNOWN
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    parts.append(self._text(part.value, env))
                else:
                    parts.append(self._text(part, env))
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._eval(node.left, env), self._eval(node.right, env)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            return UNKNOWN
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr.endswith("__unpack_id") and node.args:
                return self._text(node.args[0], env)
            joiner = node.func.value
            if (
                node.func.attr == "join"
                and isinstance(joiner, ast.Constant)
                and joiner.value == ""
                and node.args
                and isinstance(node.args[0], ast.List | ast.Tuple)
            ):
                return "".join(self._text(element, env) for element in node.args[0].elts)
        return UNKNOWN

    def _text(self, node: ast.expr, env: dict[str, Value]) -> str:
        """A part of a path: its value when known, else `{name}`."""
        value = self._eval(node, env)
        if isinstance(value, str):
            return value
        names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != "self"]
        return "{" + (names[-1] if names else "value") + "}"


def _equal(left: Value, right: Value) -> bool | None:
    """Whether two known values are equal; a template (`tag/{hashtag}`) equals a string only
    if the string could fill it, and is never None."""
    templates = [v for v in (left, right) if isinstance(v, str) and "{" in v]
    if not templates:
        return left == right
    template, other = (left, right) if templates[0] is left else (right, left)
    assert isinstance(template, str)
    if not isinstance(other, str):
        return False
    pattern = "".join(
        "[^/]+" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{\w+\})", template)
    )
    return None if re.fullmatch(pattern, other) else False


def _own_nodes(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a statement, without the statements nested in it."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                stack.append(child)


def _http_verb(call: ast.Call) -> str | None:
    """`requests.post(…)` or `session.post(…)`: how create_app registers an app."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in HTTP_CALLS
        and isinstance(func.value, ast.Name)
        and func.value.id in ("requests", "session")
    ):
        return HTTP_CALLS[func.attr]
    return None


def read_rows(source: Path, entities: dict[str, Entity]) -> list[Row]:
    entity_versions = {name: entity.version for name, entity in entities.items() if entity.version}
    methods = read_methods(source, entity_versions)
    reader = Reader(methods)
    rows: list[Row] = []
    for method in methods.values():
        if method.name.startswith("_"):
            continue
        if method.added is None and method.area in ("internals", "utility"):
            continue  # the library's own machinery: finding the server's version, paging
        strict = method.changed
        if method.changed is not None and method.returns is not None:
            strict = max(method.changed, entity_versions[method.returns])
        for endpoint in reader.requests(method):
            rows.append(
                Row(method.name, method.area, endpoint, method.added, method.changed, strict)
            )
    return sorted(rows, key=lambda row: (row.endpoint.path, row.endpoint.method, row.function))


# ---------------------------------------------------------------------------------------------
# Entities: their fields and the releases that added them
# ---------------------------------------------------------------------------------------------

HISTORY = re.compile(r"^\s*\*\s*(\d+\.\d+\.\d+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Field:
    entity: str
    name: str  # as in JSON (Mastodon.py renames a few)
    annotation: str
    added: Version | None
    removed: Version | None
    nullable: bool  # Optional[…] in Mastodon.py
    optional: bool  # "(optional)": may be absent

    @property
    def key(self) -> str:
        return f"{self.entity}.{self.name}"


@dataclass
class Entity:
    name: str
    version: Version | None
    fields: list[Field] = field(default_factory=list)


def read_entities(source: Path) -> dict[str, Entity]:
    tree = ast.parse((source / "return_types.py").read_text(encoding="utf-8"))
    entities: dict[str, Entity] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        renames: dict[str, str] = {}
        version = None
        for item in cls.body:
            if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                target = item.targets[0].id
                if target == "_version":
                    version = parse_version(ast.literal_eval(item.value))
                elif target == "_rename_map":
                    renames = ast.literal_eval(item.value)
        entity = Entity(cls.name, version)
        body = cls.body
        for index, item in enumerate(body):
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            annotation = item.annotation
            text = annotation.value if isinstance(annotation, ast.Constant) else ""
            doc = ""
            if index + 1 < len(body):
                following = body[index + 1]
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                    doc = str(following.value.value)
            added = removed = None
            for line in doc.splitlines():
                match = HISTORY.match(line)
                if not match:
                    continue
                note = match.group(2).strip().lower()
                if note.startswith("added") and added is None:
                    added = parse_version(match.group(1))
                elif note.startswith("removed"):
                    removed = parse_version(match.group(1))
            name = item.target.id
            entity.fields.append(
                Field(
                    cls.name,
                    renames.get(name, name),
                    str(text),
                    added,
                    removed,
                    nullable=str(text).startswith("Optional["),
                    optional="(optional)" in doc,
                )
            )
        if entity.fields:
            entities[cls.name] = entity
    return entities


class Observations:
    """What a node's raw answers held, per entity and field: "present" once a value was not null,
    else "null"; a field never sent is absent. Answers are walked by the types Mastodon.py gives
    them: a Status's `account` is an Account, a `Dict[str, Marker]` holds Markers…"""

    def __init__(self, entities: dict[str, Entity]) -> None:
        self.entities = entities
        self.seen: dict[str, dict[str, str]] = {}

    def walk(self, annotation: ast.expr | str, value: Any) -> None:
        if isinstance(annotation, str):
            try:
                annotation = ast.parse(annotation, mode="eval").body
            except SyntaxError:
                return
        if value is None:
            return
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            self.walk(annotation.value, value)
        elif isinstance(annotation, ast.Name):
            if annotation.id in self.entities and isinstance(value, dict):
                self.record(annotation.id, value)
        elif isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
            outer = annotation.value.id
            inner = annotation.slice
            args = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            if outer == "Dict" and len(args) == 2 and isinstance(value, dict):
                for item in value.values():
                    self.walk(args[1], item)
            elif outer in ("List", "PaginatableList", "NonPaginatableList", "EntityList"):
                for item in value if isinstance(value, list) else []:
                    self.walk(args[0], item)
            elif outer in ("Optional", "Union"):
                choices = [a for a in args if not (isinstance(a, ast.Constant) and a.value is None)]
                if len(choices) == 1:
                    self.walk(choices[0], value)
                elif choices:
                    self.walk(self._best(choices, value), value)

    def record(self, entity: str, value: dict[str, Any]) -> None:
        fields = self.seen.setdefault(entity, {})
        for known in self.entities[entity].fields:
            if known.name not in value:
                continue
            item = value[known.name]
            was = fields.get(known.name)
            fields[known.name] = "present" if item is not None or was == "present" else "null"
            self.walk(known.annotation, item)

    def _best(self, choices: list[ast.expr], value: Any) -> ast.expr:
        """Of a Union's types, the entity whose fields the value has most of; of those, the
        one it lacks fewest fields of (a sound's `original` has both of AudioMetadata's
        fields and two of VideoMetadata's five: it is AudioMetadata)."""
        sample = value[0] if isinstance(value, list) and value else value

        def overlap(choice: ast.expr) -> tuple[int, int]:
            names = [n.id for n in ast.walk(choice) if isinstance(n, ast.Name)]
            entity = next((self.entities[n] for n in names if n in self.entities), None)
            if entity is None or not isinstance(sample, dict):
                return -1, 0
            fields = {f.name for f in entity.fields}
            return len(fields & set(sample)), -len(fields - set(sample))

        return max(choices, key=overlap)

    def as_json(self) -> dict[str, dict[str, str]]:
        return {name: dict(sorted(fields.items())) for name, fields in sorted(self.seen.items())}


def load_observed() -> dict[str, dict[str, str]] | None:
    if not OBSERVED.exists():
        return None
    data: dict[str, dict[str, str]] = json.loads(OBSERVED.read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------------------------------------
# Bocage's side: its routes, and the notes kept by hand
# ---------------------------------------------------------------------------------------------

SAMPLES = {
    "name": "bocage",
    "hashtag": "bocage",
    "tag": "bocage",
    "group_key": "ungrouped-1",
    "year": "2025",
    "reaction": "heart",
}


def sample_path(template: str) -> tuple[str, set[str]]:
    """A path a client would send for a template, and the values it put in the placeholders."""
    values: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        value = SAMPLES.get(match.group(1), "1")
        values.add(value)
        return value

    return re.sub(r"\{(\w+)\}", fill, template), values


@dataclass(frozen=True)
class Served:
    served: bool
    by: str = ""  # the route that caught it without serving it, if one


def route_table() -> Any:
    sys.path.insert(0, str(ROOT))
    from bocage.app import face_routes

    return face_routes()


def serves(routes: Sequence[Any], endpoint: Endpoint) -> Served:
    """Whether the first route Starlette would pick for this method and a sample path exists and
    takes only the path's placeholders as its parameters."""
    from starlette.routing import Match, WebSocketRoute

    path, values = sample_path(endpoint.path)
    scope = {"type": "http", "path": path, "root_path": "", "method": endpoint.method}
    for route in routes:
        if isinstance(route, WebSocketRoute):
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            params = child.get("path_params", {})
            # A `{…:path}` parameter takes the rest of the path for the route to read itself
            # (the streams); any other must have caught one of the sample's own values.
            dispatcher = any(
                getattr(route, "param_convertors", {}).get(name).__class__.__name__
                == "PathConvertor"
                for name in params
            )
            if dispatcher or {str(v) for v in params.values()} <= values:
                return Served(True)
            return Served(False, getattr(route, "path", ""))
    return Served(False)


@dataclass(frozen=True)
class Note:
    # "feature-off" (served as Mastodon with the feature off), "not-served", or, for a field,
    # "as-mastodon" (Mastodon.py's definition is wrong against Mastodon's own server: Bocage
    # sends what the server sends)
    kind: str
    reason: str


NOTE_KINDS = ("feature-off", "not-served", "as-mastodon")
# How a noted field's row says it (after what the node sends).
NOTE_LABELS = {
    "feature-off": "feature off",
    "not-served": "not served",
    "as-mastodon": "as Mastodon's server sends it",
}


def load_notes() -> tuple[dict[str, Note], dict[str, Note]]:
    data = tomllib.loads(NOTES.read_text(encoding="utf-8")) if NOTES.exists() else {}
    found: list[dict[str, Note]] = []
    for table in ("endpoint", "field"):
        notes: dict[str, Note] = {}
        for key, value in data.get(table, {}).items():
            if value.get("as") not in NOTE_KINDS or not value.get("reason"):
                raise SystemExit(
                    f"{NOTES.name}: [{table}.{key!r}] needs `as` in {NOTE_KINDS} and a reason"
                )
            if table == "endpoint" and value["as"] == "as-mastodon":
                raise SystemExit(f"{NOTES.name}: [{table}.{key!r}]: `as-mastodon` is for fields")
            notes[key] = Note(value["as"], " ".join(str(value["reason"]).split()))
        found.append(notes)
    return found[0], found[1]


# ---------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointStatus:
    endpoint: Endpoint
    added: Version | None  # the earliest of the methods sending it
    areas: tuple[str, ...]
    status: str
    covered: bool  # served, or noted as Mastodon with the feature off / deliberately not served
    served: bool
    note: str


@dataclass(frozen=True)
class FieldStatus:
    field: Field
    status: str
    covered: bool
    note: str


@dataclass
class Coverage:
    rows: list[Row]
    endpoints: dict[Endpoint, EndpointStatus]
    fields: list[FieldStatus]
    versions: list[Version]
    observed: bool
    problems: list[str]

    def gaps_after(self, version: Version | None) -> tuple[Version | None, list[str]]:
        """The next release after `version`, and what keeps it from being covered."""
        later = [v for v in self.versions if version is None or v > version]
        if not later:
            return None, []
        upto = later[0]
        gaps = [
            f"`{status.endpoint.key}`"
            for status in sorted(self.endpoints.values(), key=lambda s: s.endpoint)
            if not status.covered and status.added is not None and status.added <= upto
        ]
        gaps += [
            f"{status.field.key} ({status.status})"
            for status in self.fields
            if not status.covered and required(status.field, upto)
        ]
        return upto, gaps

    def covered_through(self) -> Version | None:
        """The newest release whose every endpoint and entity field Bocage covers."""
        newest_ok = None
        for version in self.versions:
            if any(
                not status.covered
                for status in self.endpoints.values()
                if status.added is not None and status.added <= version
            ):
                break
            if any(not status.covered for status in self.fields if required(status.field, version)):
                break
            newest_ok = version
        return newest_ok


def field_added(item: Field, newest: Version) -> Version:
    """A field Mastodon.py gives no release for counts as one of the newest it knows."""
    return item.added if item.added is not None else newest


NEWEST: list[Version] = []


def required(item: Field, version: Version) -> bool:
    added = field_added(item, NEWEST[0])
    return added <= version and (item.removed is None or item.removed > version)


def compute(routes: Sequence[Any] | None = None) -> Coverage:
    source = library_dir()
    entities = read_entities(source)
    rows = read_rows(source, entities)
    endpoint_notes, field_notes = load_notes()
    observed = load_observed()
    routes = route_table() if routes is None else routes
    problems: list[str] = []

    versions = sorted(
        {v for row in rows for v in (row.added, row.changed) if v is not None}
        | {f.added for e in entities.values() for f in e.fields if f.added is not None}
    )
    NEWEST[:] = [versions[-1]]

    endpoints: dict[Endpoint, EndpointStatus] = {}
    by_endpoint: dict[Endpoint, list[Row]] = {}
    for row in rows:
        by_endpoint.setdefault(row.endpoint, []).append(row)
    for endpoint, its_rows in by_endpoint.items():
        added_versions = [row.added for row in its_rows if row.added is not None]
        added = min(added_versions) if added_versions else None
        served = serves(routes, endpoint)
        note = endpoint_notes.get(endpoint.key)
        if note is not None and note.kind == "not-served" and served.served:
            problems.append(f"{endpoint.key} is served, but {NOTES.name} says it is not")
        if note is not None and note.kind == "feature-off":
            status = (
                "served, feature off" if served.served else "missing (to answer as feature off)"
            )
            covered = served.served
        elif served.served:
            status, covered = "served", True
        elif note is not None:
            status, covered = "not served", True
        elif served.by:
            status, covered = f"missing (caught by `{served.by}`)", False
        else:
            status, covered = "missing", False
        endpoints[endpoint] = EndpointStatus(
            endpoint,
            added,
            tuple(sorted({row.area for row in its_rows})),
            status,
            covered,
            served.served,
            note.reason if note else "",
        )
    for key in endpoint_notes:
        if not any(endpoint.key == key for endpoint in endpoints):
            problems.append(f"{NOTES.name}: no endpoint {key!r} in {LIBRARY}")

    fields: list[FieldStatus] = []
    known_fields = {f.key for e in entities.values() for f in e.fields}
    for key in field_notes:
        if key not in known_fields:
            problems.append(f"{NOTES.name}: no field {key!r} in {LIBRARY}")
    for entity in sorted(entities.values(), key=lambda e: e.name):
        seen = (observed or {}).get(entity.name)
        for item in entity.fields:
            note = field_notes.get(item.key)
            found = field_status(item, seen, note)
            if note is not None and found.status in ("present", "null", "absent (optional)"):
                problems.append(
                    f"{NOTES.name}: {item.key} is sent as {LIBRARY} expects ({found.status}): "
                    f"its note is no longer true"
                )
            fields.append(found)
    return Coverage(rows, endpoints, fields, versions, observed is not None, problems)


def field_status(item: Field, seen: dict[str, str] | None, note: Note | None) -> FieldStatus:
    """What a node sends for one field (`seen`: its entity's record, None if never observed),
    and whether that covers it; a note covers a field the node does not send as Mastodon.py
    expects (a feature off, a removed answer, or Mastodon.py's definition wrong)."""
    if seen is None:
        status, covered = "not observed", False
    elif seen.get(item.name) == "present":
        status, covered = "present", True
    elif seen.get(item.name) == "null":
        covered = item.nullable or item.optional
        status = "null" if covered else "null (not nullable)"
    elif item.optional:
        status, covered = "absent (optional)", True
    else:
        status, covered = "missing", False
    if item.removed is not None:
        covered = True
    if note is not None and not covered:
        status = f"{status}, {NOTE_LABELS[note.kind]}"
        covered = True
    return FieldStatus(item, status, covered, note.reason if note else "")


def minor(version: Version | None) -> str:
    return "—" if version is None else f"{version[0]}.{version[1]}"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def summary_lines(coverage: Coverage) -> list[str]:
    statuses = list(coverage.endpoints.values())
    served = sum(status.served for status in statuses)
    covered = sum(status.covered for status in statuses)
    through = coverage.covered_through()
    fields = [status for status in coverage.fields if status.field.removed is None]
    claim = show_version(through) if through is not None else "none"
    lines = [
        f"**{served} of {len(statuses)} endpoints served** ({covered} covered, counting those "
        f"answered as a Mastodon server with the feature off and those deliberately not "
        f"served); **{sum(s.covered for s in fields)} of {len(fields)} entity fields** sent as "
        f"Mastodon sends them. Newest Mastodon release whose whole API (every endpoint added "
        f"up to it, and every entity field) Bocage covers: **{claim}**.",
    ]
    upto, gaps = coverage.gaps_after(through)
    if upto is not None:
        lines.append("")
        lines.append(
            f"What keeps {show_version(upto)} from being covered: " + ", ".join(gaps) + "."
        )
    lines += [
        "",
        "| Mastodon release | endpoints added | served | covered | fields added | covered |",
        "|---|---|---|---|---|---|",
    ]
    by_minor: dict[str, list[EndpointStatus]] = {}
    for status in statuses:
        by_minor.setdefault(minor(status.added), []).append(status)
    fields_by_minor: dict[str, list[FieldStatus]] = {}
    for field_status in fields:
        fields_by_minor.setdefault(minor(field_status.field.added), []).append(field_status)
    for release in sorted({*by_minor, *fields_by_minor}, key=_release_order):
        e = by_minor.get(release, [])
        f = fields_by_minor.get(release, [])
        lines.append(
            f"| {release} | {len(e)} | {sum(s.served for s in e)} | {sum(s.covered for s in e)} "
            f"| {len(f)} | {sum(s.covered for s in f)} |"
        )
    lines += [
        "",
        "| Area (Mastodon.py module) | endpoints | served | covered |",
        "|---|---|---|---|",
    ]
    areas: dict[str, list[EndpointStatus]] = {}
    for status in statuses:
        areas.setdefault(status.areas[0], []).append(status)
    for area in sorted(areas):
        e = areas[area]
        lines.append(
            f"| {area} | {len(e)} | {sum(s.served for s in e)} | {sum(s.covered for s in e)} |"
        )
    return lines


def _release_order(release: str) -> tuple[int, ...]:
    return (10**6,) if release == "—" else tuple(int(part) for part in release.split("."))


def render(coverage: Coverage) -> str:
    lines = [
        BEGIN,
        "",
        "## Coverage, from Mastodon.py itself",
        "",
        f"Written by `python scripts/mastodon_coverage.py --write`; do not edit by hand "
        f"(`tests/mastodon_api/test_coverage.py` fails when this section is not what the "
        f"script writes now). {LIBRARY} {LIBRARY_VERSION} annotates each method with the "
        f"Mastodon release that added it and the one that last changed it, and each entity "
        f"field with the release that added it; the script reads that source with `ast`. "
        f"**Served** is computed: a sample of each path is matched against Bocage's route "
        f"table with Starlette's own matching (a route catching a literal segment as a "
        f"parameter does not count). `scripts/mastodon_coverage_notes.toml` names the "
        f"endpoints answered as a Mastodon server with the feature switched off answers, and "
        f"those deliberately not served, each with its reason. The fields are what a real "
        f"node sent to Mastodon.py (`tests/mastodon_api/coverage_collect.py`, recorded in "
        f"`tests/data/mastodon_coverage_fields.json`; the slow test checks the record): "
        f"*present*, *null* (allowed where Mastodon.py types the field as nullable), *absent "
        f"(optional)*, *missing*, or *not observed* (no answer the collector got held that "
        f"entity). A field Mastodon.py gives no release for counts as one of the newest "
        f"({show_version(NEWEST[0])}). *Strict* is the release Mastodon.py's "
        f'`version_check_mode="changed"` asks of a server before it sends the request (the '
        f"method's last change or its return entity's, the later).",
        "",
        *summary_lines(coverage),
        "",
        "### Endpoints",
        "",
        "| Mastodon.py method | HTTP | path | added | last changed | strict | Bocage |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in sorted(coverage.rows, key=lambda r: (r.area, r.function, r.endpoint)):
        status = coverage.endpoints[row.endpoint]
        text = status.status + (f": {status.note}" if status.note else "")
        lines.append(
            f"| `{row.function}` | {row.endpoint.method} | `{row.endpoint.path}` "
            f"| {show_version(row.added)} | {show_version(row.changed)} "
            f"| {show_version(row.strict)} | {cell(text)} |"
        )
    lines += [
        "",
        "### Entity fields",
        "",
        "| entity | field | added | Bocage |",
        "|---|---|---|---|",
    ]
    for field_status in coverage.fields:
        item = field_status.field
        added = show_version(item.added)
        if item.removed is not None:
            added += f" (removed {show_version(item.removed)})"
        text = field_status.status + (f": {field_status.note}" if field_status.note else "")
        lines.append(f"| {item.entity} | `{item.name}` | {added} | {cell(text)} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def with_section(document: str, section: str) -> str:
    if BEGIN in document and END in document:
        head = document[: document.index(BEGIN)]
        tail = document[document.index(END) + len(END) :].lstrip("\n")
        if tail.strip():
            raise SystemExit(f"{DOC.name}: the coverage section must stay the last one")
        return head + section
    return document.rstrip("\n") + "\n\n" + section


def current_section(document: str) -> str | None:
    if BEGIN not in document or END not in document:
        return None
    return document[document.index(BEGIN) : document.index(END) + len(END)] + "\n"


def diff(old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), "doc", "script", n=1
        )
    )


def collect() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.mastodon_api.coverage_collect import collect_on_new_node

    observations = collect_on_new_node()
    OBSERVED.parent.mkdir(parents=True, exist_ok=True)
    OBSERVED.write_text(json.dumps(observations, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded the fields of {len(observations)} entities in {OBSERVED.relative_to(ROOT)}")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite the doc's section")
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is out of date")
    parser.add_argument("--collect", action="store_true", help="record the fields (starts a node)")
    parser.add_argument("-v", action="store_true", help="with --collect: list the refused calls")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.collect:
        collect()
    coverage = compute()
    for problem in coverage.problems:
        print(f"problem: {problem}", file=sys.stderr)
    section = render(coverage)
    document = DOC.read_text(encoding="utf-8")
    if args.write:
        DOC.write_text(with_section(document, section), encoding="utf-8")
    elif args.check and current_section(document) != section:
        print(diff(current_section(document) or "", section), file=sys.stderr)
        return 1
    for line in summary_lines(coverage):
        print(line)
    return 1 if coverage.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

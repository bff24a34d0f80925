"""The machinery of the OpenAPI sweep (test_openapi_sweep.py): a recording HTTP client whose
every answer is matched to the OpenAPI path template it answers (`/api/v1/statuses/{id}`)
and validated against the schema that path and method declare for its status code, and the
comparison of what was validated with every route the app serves.

The description is bocage/mastodon_api/data/mastodon-openapi/schema.json (see openapi.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.routing import BaseRoute, Route, WebSocketRoute

from tests.mastodon_api.openapi import document, problems_against

Key = tuple[str, str]  # (METHOD, OpenAPI path template), or (METHOD, app path) for routes
ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = "#/components/schemas/ValidationError"
# Mastodon's `render_empty` (app/controllers/api/base_controller.rb): `{}` with 200, what
# the description calls an "Empty" answer.
EMPTY = {"type": "object", "maxProperties": 0}
_PARAM = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class Expected:
    """What an answer must be: `schema` to validate its JSON body against, or None when the
    description declares that answer without a body schema (HTML, plain text, a free-form
    hash): nothing to validate it against."""

    schema: dict[str, Any] | None
    problem: str = ""  # set when the answer's status is not one the description allows


class Description:
    """The OpenAPI `paths`, matched as a router would: the concrete path against each
    template's pattern, the most literal template winning (`/api/v1/accounts/lookup` over
    `/api/v1/accounts/{id}`), so parameters match by position, not by name."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.paths: dict[str, Any] = (spec or document())["paths"]
        self._patterns = [(template, _pattern(template)) for template in self.paths]

    def template(self, method: str, path: str) -> str | None:
        """The template `path` answers to, if the description has it for `method`."""
        found = [t for t, pattern in self._patterns if pattern.fullmatch(path)]
        if not found:
            return None
        best = min(found, key=lambda t: [bool(_PARAM.fullmatch(s)) for s in t.split("/")])
        return best if method.lower() in self.paths[best] else None

    def expected(self, method: str, template: str, status: int) -> Expected:
        """The schema of the answer `status` to `method template`; an undeclared error status
        is checked against `Error` (Mastodon's `{"error": …}` for every refusal)."""
        responses = self.paths[template][method.lower()]["responses"]
        declared = responses.get(str(status))
        if declared is None:
            if status >= 400:
                return Expected(ERROR)
            return Expected(None, f"status {status} is not declared")
        content = declared.get("content", {}).get("application/json")
        if content is not None:
            return Expected(content["schema"])
        if declared.get("description") == "Empty":
            return Expected(EMPTY)
        return Expected(None)


def _pattern(template: str) -> re.Pattern[str]:
    parts = [("[^/]+" if _PARAM.fullmatch(s) else re.escape(s)) for s in template.split("/")]
    return re.compile("/".join(parts))


@dataclass
class Recorder:
    """Checks every answer its clients receive; keeps what was validated.

    `corrections` replace the description's schema for one (METHOD, template, status) where
    the copy is known to be wrong; `details_on` are the endpoints whose 422 really carries
    ValidationError's `details` (elsewhere Mastodon answers a 422 as `{"error": …}`)."""

    base_url: str
    description: Description = field(default_factory=Description)
    corrections: Mapping[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    details_on: frozenset[Key] = frozenset()
    validated: set[Key] = field(default_factory=set)  # 2xx answers that conform
    filled: set[Key] = field(default_factory=set)  # … of which some were not an empty list
    refusals: set[tuple[str, str, int]] = field(default_factory=set)  # 4xx that conform
    without_schema: set[Key] = field(default_factory=set)  # described without a body schema
    undescribed: set[Key] = field(default_factory=set)  # (METHOD, concrete path)
    problems: list[str] = field(default_factory=list)
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client on the node whose answers are all checked."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        made = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=20.0,
            event_hooks={"response": [self._on_response]},
        )
        self._clients.append(made)
        return made

    def close(self) -> None:
        for made in self._clients:
            made.close()

    def _on_response(self, response: httpx.Response) -> None:
        response.read()
        self.check(response.request.method, response.request.url.path, response.status_code,
                   response.content)  # fmt: skip

    def check(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        """Validate one answer; returns (and keeps) what is wrong with it."""
        if method == "HEAD":
            return []
        template = self.description.template(method, path)
        if template is None:
            self.undescribed.add((method, path))
            return []
        expected = self.description.expected(method, template, status)
        schema = self.corrections.get((method, template, status), expected.schema)
        if schema is None and not expected.problem:
            self.without_schema.add((method, template))  # nothing to validate it against
            return []
        if schema is None:
            found = [expected.problem]  # a status the description does not allow
        else:
            if status == 422:
                schema = self._refusal(method, template, schema)
            found = self._problems(schema, body)
        where = f"{method} {path} ({template}) → {status}"
        self.problems.extend(f"{where}: {problem}" for problem in found)
        if not found:
            if 200 <= status < 300:
                self.validated.add((method, template))
                if body.strip() != b"[]":
                    self.filled.add((method, template))
            elif status >= 400:
                self.refusals.add((method, template, status))
        return found

    def _refusal(self, method: str, template: str, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema of a 422: ValidationError only where Mastodon gives `details`."""
        if schema.get("$ref") == VALIDATION_ERROR and (method, template) not in self.details_on:
            return ERROR
        return schema

    @staticmethod
    def _problems(schema: dict[str, Any], body: bytes) -> list[str]:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return [f"not JSON: {body[:200]!r}"]
        return problems_against(schema, data)


def served(routes: Iterable[BaseRoute]) -> list[Key]:
    """(METHOD, app path) of every route; HEAD (Starlette's twin of GET) left out, a WebSocket
    route as ("WEBSOCKET", path)."""
    found: list[Key] = []
    for route in routes:
        if isinstance(route, WebSocketRoute):
            found.append(("WEBSOCKET", route.path))
        elif isinstance(route, Route):
            found.extend((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")
    return found


def parameters(app_path: str) -> list[str]:
    """The names of an app route's path parameters (`{id:id}` is named `id`)."""
    return [found[1:-1].split(":", 1)[0] for found in _PARAM.findall(app_path)]


def concrete(app_path: str, values: Mapping[str, str] | None = None) -> str:
    """An app route's path with each parameter filled (`/api/v1/lists/{id}` → `…/1`), or
    with the value given for its name."""
    given = values or {}
    return _PARAM.sub(lambda found: given.get(parameters(found[0])[0], "1"), app_path)


def gaps(
    description: Description,
    routes: Iterable[Key],
    validated: set[Key],
    allowed: Mapping[Key, str],
) -> list[str]:
    """Why the served routes and the validated ones differ, one line each (empty: none).

    Each served route is either allow-listed (by app path, with its reason), or described by
    the OpenAPI and validated with a 2xx answer; an allowance for a route no longer served,
    and a validated template no route serves, are reported too."""
    routes = list(routes)
    lines: list[str] = []
    described: set[Key] = set()
    for method, path in routes:
        if (method, path) in allowed:
            continue
        template = description.template(method, concrete(path))
        if template is None:
            lines.append(f"{method} {path}: not in the OpenAPI description, not allow-listed")
            continue
        described.add((method, template))
        if (method, template) not in validated:
            lines.append(f"{method} {template}: served, never validated")
    lines.extend(f"{m} {t}: validated, served by no route" for m, t in validated - described)
    lines.extend(
        f"{m} {p}: allow-listed, served by no route" for m, p in set(allowed) - set(routes)
    )
    return sorted(lines)

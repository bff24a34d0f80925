"""A Starlette router that looks only at the routes a path could match.

Starlette tries every route's regular expression in turn: with ~250 routes, the home
timeline (the 81st) cost 81 matches, ~7% of a page's CPU. Here routes are indexed by their
leading literal path segments (`/api/v1/timelines/…`); a request tries, in their declared
order, only the routes whose literal prefix its path starts with. Declared order and
Starlette's rules (first full match wins, else the first partial match answers 405) are
kept; a path no candidate matches goes to Starlette's own scan, so 404s and slash
redirects behave exactly as before.

Ids in paths are declared `{name:id}`: the route matches only an id the store can hold
(kernel/numbers.py), so `/users/a/statuses/<20 digits>` is a 404 like any other unknown path,
not an overflow in the database driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard

from starlette._utils import get_route_path  # where Starlette's own routes and StaticFiles take it
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send

from bocage.edge import check_target
from bocage.kernel import numbers

DEPTH = 4  # segments indexed: enough to tell /api/v1/timelines/home from /api/v1/timelines/tag


class IdConvertor(Convertor[int]):
    """`{name:id}`: ASCII digits for a value below 2**63, as an int."""

    regex = numbers.ID_PATTERN

    def convert(self, value: str) -> int:
        return int(value.lstrip("0") or "0")  # the regex let through only ids

    def to_string(self, value: int) -> str:
        if numbers.parse_id(value) is None:
            raise ValueError(f"{value!r} is not an id")
        return str(value)


def register_convertors() -> None:
    """Done when the package is imported (bocage/__init__.py): before any route is built."""
    register_url_convertor("id", IdConvertor())


def literal_segments(path: str) -> tuple[str, ...]:
    """The segments of a route's path before the first one holding a parameter."""
    segments = []
    for segment in path.strip("/").split("/")[:DEPTH]:
        if "{" in segment:
            break
        segments.append(segment)
    return tuple(segments)


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(list(routes), **kwargs)
        self._by_prefix: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        for order, route in enumerate(self.routes):
            prefix = literal_segments(route.path) if _has_path(route) else ()
            self._by_prefix.setdefault(prefix, []).append((order, route))

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes whose literal prefix `path` starts with, in declared order."""
        segments = path.strip("/").split("/")[:DEPTH]
        found: list[tuple[int, BaseRoute]] = list(self._by_prefix.get((), ()))
        for length in range(1, len(segments) + 1):
            found += self._by_prefix.get(tuple(segments[:length]), ())
        found.sort(key=lambda pair: pair[0])
        return [route for _order, route in found]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        if scope["type"] == "http":
            check_target(scope)  # before any route reads the path or the query
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:  # e.g. the right path with the wrong method: 405
            scope["route"] = partial[0]
            scope.update(partial[1])
            await partial[0].handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # 404 or a slash redirect, as Starlette does


def _has_path(route: BaseRoute) -> TypeGuard[Route | WebSocketRoute | Mount]:
    return isinstance(route, Route | WebSocketRoute | Mount)

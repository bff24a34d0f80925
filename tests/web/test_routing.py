"""The indexed router picks, for every path, the route Starlette's full scan would pick."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute

from bocage.app import create_app
from bocage.routing import IndexedRouter, literal_segments
from tests.conftest import make_settings

PARAM = re.compile(r"\{[^}]+\}")


def first_match(routes: list[BaseRoute], scope: dict) -> tuple[BaseRoute | None, Match]:
    """(route, kind) of Starlette's own rule: the first full match, else the first partial."""
    partial = None
    for route in routes:
        match, _child = route.matches(dict(scope))
        if match is Match.FULL:
            return route, match
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial, Match.PARTIAL if partial else Match.NONE


def sample_paths(route: BaseRoute) -> list[str]:
    path = PARAM.sub("1", route.path)  # type: ignore[attr-defined]
    return [path, path + "/x", "/static/app.css"] if isinstance(route, Mount) else [path]


def scopes_for(path: str) -> list[dict]:
    http = [
        {"type": "http", "path": path, "method": m, "root_path": ""}
        for m in ("GET", "POST", "DELETE", "PATCH")
    ]
    return [*http, {"type": "websocket", "path": path, "root_path": ""}]


def test_literal_segments_stop_at_the_first_parameter() -> None:
    assert literal_segments("/api/v1/timelines/home") == ("api", "v1", "timelines", "home")
    assert literal_segments("/api/v1/statuses/{id}/context") == ("api", "v1", "statuses")
    assert literal_segments("/@{username}") == ()
    assert literal_segments("/") == ("",)


def test_every_route_of_the_app_is_found_as_by_a_full_scan(tmp_path: Path) -> None:
    app = create_app(
        make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/db.sqlite3"), run_worker=False
    )
    router = app.router
    assert isinstance(router, IndexedRouter)
    routes = router.routes
    assert len(routes) > 100
    paths = {
        p
        for route in routes
        if isinstance(route, Route | WebSocketRoute | Mount)
        for p in sample_paths(route)
    }
    paths |= {"/", "/nowhere", "/api/v1/nowhere/1", "/api/v1/statuses/1/nowhere", "/@alice/1"}
    checked = 0
    for path in sorted(paths):
        for scope in scopes_for(path):
            expected = first_match(routes, scope)
            assert first_match(router.candidates(path), scope) == expected, (path, scope)
            checked += 1
    assert checked > 500


@pytest.mark.parametrize("path", ["/a/b", "/a/b/c", "/x"])
def test_a_toy_router_agrees_with_starlette(path: str) -> None:
    async def endpoint(_request: object) -> None:
        return None

    routes: list[BaseRoute] = [
        Route("/{anything}", endpoint, methods=["POST"]),
        Route("/a/b", endpoint, methods=["GET"]),
        Route("/a/{x}/c", endpoint, methods=["GET"]),
        Route("/a/b/c", endpoint, methods=["GET"]),
    ]
    indexed = IndexedRouter(routes)
    for scope in scopes_for(path):
        assert first_match(indexed.candidates(path), scope) == first_match(
            Router(routes).routes, scope
        )


def test_every_id_in_a_path_is_declared_an_id(tmp_path: Path) -> None:
    """`{post_id:id}`, never Starlette's `{…:int}` (any number of digits, which overflowed
    in the database) nor a bare `{id}` parsed by each route: a path naming an id the store
    cannot hold is a 404 from the router."""
    app = create_app(
        make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/db.sqlite3"), run_worker=False
    )
    ids = [
        (route.path, parameter)
        for route in app.router.routes
        if isinstance(route, Route | WebSocketRoute)
        for parameter in PARAM.findall(route.path)
        if parameter.split(":")[0].strip("{").endswith("id")
    ]
    assert len(ids) > 60
    assert [found for found in ids if not found[1].endswith(":id}")] == []
    router = app.router
    for path in ("/users/alice/statuses/99999999999999999999", "/api/v1/statuses/²",
                 "/@alice/9223372036854775808", "/posts/-1"):  # fmt: skip
        scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
        assert first_match(router.routes, scope)[1] is Match.NONE, path

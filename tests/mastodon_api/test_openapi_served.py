"""`/api/openapi.json`: the node's own OpenAPI description of the client API it serves, made
from its route table and Mastodon's description (bocage/mastodon_api/openapi.py). What it
says is checked against what the node answers in test_schemathesis.py; here, what it holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.responses import Response
from starlette.routing import Match, Route

from bocage import __version__
from bocage.app import face_routes
from bocage.mastodon_api import all_routes, openapi
from bocage.mastodon_api.streaming.routes import routes as streaming_routes
from bocage.web.routes.oauth import routes as consent_routes
from tests.processes import NodeProcess

CLAIMS = openapi.Claims(
    base_url="http://127.0.0.1:8000",
    bocage_version="0.1.0",
    mastodon_version="4.3.0",
    api_versions=(("mastodon", 2),),
    grant_types=("authorization_code", "client_credentials"),
    scopes=("read", "write", "read:statuses"),
)


async def _nothing(_request: Any) -> Response:
    return Response()


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, methods in document["paths"].items() for m in methods}


def test_only_what_the_routes_serve_is_described() -> None:
    routes = [
        Route("/api/v1/notifications/{id}", _nothing, methods=["GET"]),
        Route("/api/v1/lists/{id:id}", _nothing, methods=["GET", "DELETE"]),
    ]
    described = _operations(openapi.describe(routes, CLAIMS))
    # `unread_count` would be caught as an {id}: not served, so not described.
    assert described == {
        ("GET", "/api/v1/notifications/{id}"),
        ("GET", "/api/v1/lists/{id}"),
        ("DELETE", "/api/v1/lists/{id}"),
    }
    assert openapi.describe([], CLAIMS)["paths"] == {}


def test_every_route_of_the_face_is_described() -> None:
    document = openapi.describe(face_routes(), CLAIMS)
    described = _operations(document)
    not_described = {
        ("WEBSOCKET", "/api/v1/streaming"),  # a WebSocket: not an HTTP operation
        ("POST", "/oauth/authorize"),  # the consent form a browser submits (Mastodon's too)
        # Not in the copy of Mastodon's description the served one is built from (nothing of
        # them to take; docs/mastodon_api.md describes them, and their tests check them).
        ("GET", "/api/v1/instance/languages"),  # tests/mastodon_api/test_instance_api.py
        ("GET", "/api/v1/notifications/policy"),  # v1 policy: test_notifications_grouped.py
        ("PATCH", "/api/v1/notifications/policy"),
        ("GET", "/api/v1/reports"),  # a 404, as Mastodon (there is no such listing)
        ("POST", "/api/v1/notifications/dismiss"),  # the 1.3 form, id in the body: test_api_rest
    }
    undescribed_prefixes = ("/api/v1/admin/", "/api/v2/admin/")  # no admin API in the copy:
    # tests/mastodon_api/test_admin_api.py drives every route with Mastodon.py
    for route in [*all_routes(), *streaming_routes, *consent_routes]:
        methods = sorted(getattr(route, "methods", None) or {"WEBSOCKET"})
        for method in methods:
            if method == "HEAD" or (method, route.path) in not_described:
                continue
            if route.path.startswith(undescribed_prefixes):
                continue
            matched = [
                (m, t)
                for m, t in described
                if m == method and _matches(openapi.sample_path(t)[0], route, method)
            ]
            assert matched, f"{method} {route.path} is served but not described"


def _matches(path: str, route: Any, method: str) -> bool:
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    return bool(route.matches(scope)[0] is Match.FULL)


def test_every_reference_resolves_and_no_component_is_unused() -> None:
    document = openapi.describe(face_routes(), CLAIMS)
    refs = set(openapi._refs(document))
    for ref in refs:
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][kind], ref
    for kind in ("schemas", "headers", "links"):
        for name in document["components"][kind]:
            assert f"#/components/{kind}/{name}" in refs, f"{kind}/{name} is never used"
    # A link leads to an operation the node serves.
    ids = {op["operationId"] for ops in document["paths"].values() for op in ops.values()}
    assert document["components"]["links"]
    for name, link in document["components"]["links"].items():
        assert link["operationId"] in ids, name
    partial = openapi.describe([Route("/api/v1/statuses", _nothing, methods=["POST"])], CLAIMS)
    assert partial["components"]["links"] == {}


def test_corrections_and_bocage_additions() -> None:
    document = openapi.describe(face_routes(), CLAIMS)
    paths, schemas = document["paths"], document["components"]["schemas"]

    def ok(method: str, path: str) -> Any:
        return paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]

    assert ok("get", "/api/v1/filters")["type"] == "array"
    assert ok("delete", "/api/v2/filters/statuses/{id}") == openapi.EMPTY
    assert ok("get", "/api/v1/preferences") == {"$ref": "#/components/schemas/Preferences"}
    assert "CC-BY-4.0" in schemas["MediaAttachment"]["properties"]["license"]["enum"]
    upload = paths["/api/v2/media"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["properties"]["license"] == openapi.LICENSE
    assert "get" in paths["/api/v1/media/{id}/original"]
    # A 422 is ValidationError only where Mastodon adds `details`; any refusal is an Error.
    sign_up = paths["/api/v1/accounts"]["post"]["responses"]
    statuses = paths["/api/v1/statuses"]["post"]["responses"]
    assert sign_up["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ValidationError"
    )
    assert statuses["422"]["content"]["application/json"]["schema"] == openapi.ERROR
    assert statuses["4XX"]["content"]["application/json"]["schema"] == openapi.ERROR
    # /oauth/userinfo is served (GET and POST), so the metadata names its endpoint.
    metadata = ok("get", "/.well-known/oauth-authorization-server")["$ref"].rsplit("/", 1)[1]
    assert "userinfo_endpoint" in schemas[metadata]["properties"]
    assert set(paths["/oauth/userinfo"]) == {"get", "post"}
    # Mastodon's default contact address is "", which `format: email` refuses.
    assert schemas["V1Instance"]["properties"]["email"] == openapi.EMAIL_OR_EMPTY
    contact = schemas["Instance"]["properties"]["contact"]["properties"]["email"]
    assert contact == openapi.EMAIL_OR_EMPTY
    assert not any("examples" in str(k) for k in _keys(paths))


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [*node, *(k for v in node.values() for k in _keys(v))]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


def test_the_flows_are_those_the_metadata_names() -> None:
    flows = openapi.describe([], CLAIMS)["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert set(flows) == {"authorizationCode", "clientCredentials"}  # no password grant
    assert flows["authorizationCode"]["authorizationUrl"] == "http://127.0.0.1:8000/oauth/authorize"
    assert flows["clientCredentials"]["scopes"] == {
        "read": "Read access",
        "write": "Write access",
        "read:statuses": "Read access to statuses",
    }


@pytest.mark.slow
@pytest.mark.xdist_group("api_node")
def test_the_node_serves_its_description(api_node: NodeProcess) -> None:
    answer = httpx.get(f"{api_node.url}/api/openapi.json")  # no token: public
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"].startswith("public")
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": api_node.url, "description": "This node"}]

    instance = httpx.get(f"{api_node.url}/api/v2/instance").json()
    info = document["info"]
    assert info["version"] == __version__
    assert info["x-mastodon-version"] == instance["version"].split(" ")[0]
    assert info["x-mastodon-api-versions"] == instance["api_versions"]
    assert info["x-mastodon-version"] in info["summary"]

    metadata = httpx.get(f"{api_node.url}/.well-known/oauth-authorization-server").json()
    flows = document["components"]["securitySchemes"]["OAuth2"]["flows"]
    grants = {"authorizationCode": "authorization_code", "password": "password",
              "clientCredentials": "client_credentials"}  # fmt: skip
    assert {grants[flow] for flow in flows} == set(metadata["grant_types_supported"])
    for flow in flows.values():
        assert set(flow["scopes"]) == set(metadata["scopes_supported"])
        assert flow["tokenUrl"] == metadata["token_endpoint"]
    assert flows["authorizationCode"]["authorizationUrl"] == metadata["authorization_endpoint"]
    assert ("GET", "/api/v1/timelines/home") in _operations(document)

    # Cached: the same ETag each time, and a 304 without a body when the client has it.
    etag = answer.headers["etag"]
    again = httpx.get(f"{api_node.url}/api/openapi.json")
    assert again.headers["etag"] == etag and again.content == answer.content
    unchanged = httpx.get(f"{api_node.url}/api/openapi.json", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    listed = httpx.get(
        f"{api_node.url}/api/openapi.json", headers={"If-None-Match": f'"x", W/{etag}'}
    )
    assert listed.status_code == 304
    other = httpx.get(f"{api_node.url}/api/openapi.json", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.content == answer.content

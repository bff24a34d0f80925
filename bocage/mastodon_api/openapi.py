"""The OpenAPI description of the Mastodon client API as this node serves it
(`/api/openapi.json`, routes/openapi.py), made from two things in the repository, never kept
by hand: the description of Mastodon's API that abraham/mastodon-openapi generates from
Mastodon's documentation (data/mastodon-openapi, copied verbatim, with its provenance and
licence), and the node's own route table.

Each operation of Mastodon's description is kept when the route that would answer it here
serves it (a sample path matched with Starlette's own matching, as
scripts/mastodon_coverage.py does: a route that catches a literal segment as a parameter,
`/notifications/{id}` taking `unread_count`, does not count). Then Mastodon's real answers
where the copy is known to be wrong (CORRECTIONS), Bocage's own additions (ADDITIONS: the
`license` of media attachments, a HEIC's original), and only the components the kept
operations use."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from starlette.routing import BaseRoute, Match, WebSocketRoute

from bocage.core.media import media

UPSTREAM = Path(__file__).parent / "data" / "mastodon-openapi" / "schema.json"
METHODS = ("get", "put", "post", "delete", "patch")
ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = "#/components/schemas/ValidationError"
# Mastodon's `render_empty` (app/controllers/api/base_controller.rb): `{}` with 200.
EMPTY: dict[str, Any] = {"type": "object", "maxProperties": 0}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What a client would put in a path's placeholders, by name (else an id).
SAMPLES = {
    "name": "bocage",
    "hashtag": "bocage",
    "tag": "bocage",
    "group_key": "ungrouped-1",
    "year": "2025",
    "reaction": "heart",
}


@cache
def upstream() -> dict[str, Any]:
    """Mastodon's description (read once per process; never changed: copies are made)."""
    loaded: dict[str, Any] = orjson.loads(UPSTREAM.read_bytes())
    return loaded


@dataclass(frozen=True)
class Claims:
    """What the node says of itself, read from its own answers (routes/openapi.py): the
    description can never disagree with `/api/v2/instance` or the OAuth server metadata."""

    base_url: str
    bocage_version: str
    mastodon_version: str  # the release of Mastodon whose API the node claims, e.g. "4.3.0"
    api_versions: tuple[tuple[str, int], ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Which of Mastodon's operations the node serves
# ---------------------------------------------------------------------------------------------


def sample_path(template: str) -> tuple[str, set[str]]:
    """A path a client would send for a template, and the values put in its placeholders."""
    values: set[str] = set()

    def fill(found: re.Match[str]) -> str:
        value = SAMPLES.get(found[1], "1")
        values.add(value)
        return value

    return _PLACEHOLDER.sub(fill, template), values


def serving_route(routes: Sequence[BaseRoute], method: str, template: str) -> BaseRoute | None:
    """The route that would answer `method template` with the template's own parameters, or
    None (no route, or the first match catches a literal segment of the path)."""
    path, values = sample_path(template)
    scope = {"type": "http", "path": path, "root_path": "", "method": method.upper()}
    for route in routes:
        if isinstance(route, WebSocketRoute):
            continue
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        params = child.get("path_params", {})
        convertors = getattr(route, "param_convertors", {})
        # A `{…:path}` parameter takes the rest of the path for the route to read (the streams).
        dispatcher = any(type(convertors.get(n)).__name__ == "PathConvertor" for n in params)
        if dispatcher or {str(v) for v in params.values()} <= values:
            return route
        return None
    return None


def served(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, template) of each of Mastodon's operations the node serves."""
    for template, operations in upstream()["paths"].items():
        for method in METHODS:
            if method in operations and serving_route(routes, method, template) is not None:
                yield method, template


# ---------------------------------------------------------------------------------------------
# Where the copy of Mastodon's description is wrong, and what Bocage adds
# ---------------------------------------------------------------------------------------------

# Where the copy's schema is not what Mastodon answers, by (method, template, status), with
# the reason (the same list as tests/mastodon_api/test_openapi_sweep.py's, which checks the
# node's answers against the copy).
CORRECTIONS: dict[tuple[str, str, str], tuple[dict[str, Any] | None, str]] = {
    ("get", "/api/v1/filters", "200"): (
        {"type": "array", "items": {"$ref": "#/components/schemas/V1Filter"}},
        "The copy says 'List of [V1::Filter]' but its schema is one V1Filter; Mastodon renders "
        "a list (api/v1/filters_controller.rb#index).",
    ),
    ("delete", "/api/v2/filters/statuses/{id}", "200"): (
        EMPTY,
        "Mastodon answers `render_empty` ({}), not the FilterStatus the copy declares "
        "(api/v2/filters/statuses_controller.rb#destroy).",
    ),
    ("get", "/api/v1/preferences", "200"): (
        {"$ref": "#/components/schemas/Preferences"},
        "The copy declares no body; Mastodon renders the Preferences entity "
        "(REST::PreferencesSerializer).",
    ),
    ("post", "/api/v1/annual_reports/{year}/generate", "204"): (
        None,
        "Outside its yearly campaign Mastodon returns before rendering anything, which Rails "
        "answers 204 No Content (api/v1/annual_reports_controller.rb#generate); no campaign "
        "runs on a node.",
    ),
    ("post", "/api/v1/collections", "200"): (
        {"type": "object", "required": ["collection"],
         "properties": {"collection": {"$ref": "#/components/schemas/Collection"}}},
        "Described in words only ('[WrappedCollection]'): the Collection under `collection`.",
    ),
    ("patch", "/api/v1/collections/{id}", "200"): (
        {"type": "object", "required": ["collection"],
         "properties": {"collection": {"$ref": "#/components/schemas/Collection"}}},
        "As its POST.",
    ),
    ("post", "/api/v1/collections/{collection_id}/items", "200"): (
        {"type": "object", "required": ["collection_item"],
         "properties": {"collection_item": {"$ref": "#/components/schemas/CollectionItem"}}},
        "Described in words only ('[WrappedCollectionItem]'): the item under "
        "`collection_item`.",
    ),
    **{
        (method, path, "422"): (
            {"type": "object", "required": ["error"],
             "properties": {"error": {
                 "type": "object", "required": ["error", "details"],
                 "properties": {
                     "error": {"type": "string"},
                     "details": {"type": "object", "additionalProperties": {
                         "type": "array", "items": {
                             "type": "object", "required": ["error", "description"],
                             "properties": {"error": {"type": "string"},
                                            "description": {"type": "string"}}}}},
                 }}}},
            "The copy's schema requires `details.name` (its example's field): Mastodon's "
            "collections controller nests its ValidationErrorFormatter under `error`, with "
            "the fields that failed, whichever they are.",
        )
        for method, path in (("post", "/api/v1/collections"), ("patch", "/api/v1/collections/{id}"))
    },
    **{
        ("get", f"/api/v1/accounts/{{account_id}}/{which}", "200"): (
            {"type": "object", "required": ["collections"],
             "properties": {"collections": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/Collection"}}}},
            "Described in words only ('[Collections]'): the Collections under `collections`.",
        )
        for which in ("collections", "in_collections")
    },
}  # fmt: skip

# Where the copy's entity schemas are narrower than what Mastodon sends, by component and
# the path of the property in it, with the reason.
EMAIL_OR_EMPTY = {
    "anyOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}],
    "description": "An e-mail address to contact the server's staff; empty when none is set.",
}
ENTITY_CORRECTIONS: dict[tuple[str, tuple[str, ...]], tuple[dict[str, Any], str]] = {
    ("V1Instance", ("email",)): (
        EMAIL_OR_EMPTY,
        "Mastodon's default `site_contact_email` is '' (config/settings.yml): the copy's "
        "`format: email` refuses the empty string a server without a contact address sends.",
    ),
    ("Instance", ("contact", "email")): (EMAIL_OR_EMPTY, "the same, in the v2 instance."),
}

# Mastodon answers a 422 `{ error: e.to_s }` (api/base_controller.rb, `rescue_from
# ActiveRecord::RecordInvalid`); only these two add ValidationError's `details`.
DETAILS_ON = frozenset(
    {("post", "/api/v1/accounts"), ("patch", "/api/v1/accounts/update_credentials")}
)

LICENSE = {
    "type": "string",
    "enum": sorted(media.LICENCES),
    "description": "Bocage: the licence the uploader gave the file, an SPDX id (or "
    "`all-rights-reserved`). Left out when none was given.",
}

# Bocage's own operations, and where each is documented (docs/mastodon_api.md).
ADDITIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/media/{id}/original"): {
        "operationId": "getMediaOriginal",
        "summary": "Download the original of a HEIC photo (Bocage)",
        "description": "Bocage: the HEIC or HEIF file a phone sent, for its owner only "
        "(the attachment's `url` is a full-size JPEG rendition of it).",
        "tags": ["media"],
        "security": [{"OAuth2": ["read"]}],
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {
                "description": "The file's bytes",
                "content": {"image/heic": {}, "image/heif": {}},
            },
            "401": {
                "description": "Unauthorized",
                "content": {"application/json": {"schema": ERROR}},
            },
            "404": {"description": "Not found", "content": {"application/json": {"schema": ERROR}}},
        },
    },
    ("get", "/api/openapi.json"): {
        "operationId": "getOpenApiDescription",
        "summary": "This description (Bocage)",
        "description": "Bocage: the OpenAPI description of the client API this node serves. "
        "Public; answered with an ETag (a matching If-None-Match is a 304).",
        "tags": ["instance"],
        "responses": {
            "200": {
                "description": "An OpenAPI 3.1 document",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "304": {"description": "Not modified (the ETag given in If-None-Match)"},
        },
    },
}

# Paths Mastodon still routes under an older name, described as the new one.
ALIASES = {
    "/api/v1/trends": "/api/v1/trends/tags",  # Mastodon's name before 3.5 (Mastodon.py's trends())
}


def _refusals(responses: dict[str, Any]) -> None:
    """Every refusal is `{"error": "…"}` with Mastodon's status (docs/mastodon_api.md), also
    those the copy leaves out (400 for a missing parameter, 403 for a missing scope, 413)."""
    responses.setdefault(
        "4XX", {"description": "Refused", "content": {"application/json": {"schema": ERROR}}}
    )


def _operation(method: str, template: str, operation: dict[str, Any], *, userinfo: bool) -> Any:
    found = copy.deepcopy(operation)
    responses: dict[str, Any] = found.setdefault("responses", {})
    for status, response in responses.items():
        for content in response.get("content", {}).values():
            content.pop("examples", None)
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if (
            status == "422"
            and schema == {"$ref": VALIDATION_ERROR}
            and (method, template) not in DETAILS_ON
        ):
            response["content"]["application/json"]["schema"] = ERROR
        correction = CORRECTIONS.get((method, template, status))
        if correction is not None and correction[0] is not None:
            response.setdefault("content", {})["application/json"] = {"schema": correction[0]}
    for (where, path, status), (schema, reason) in CORRECTIONS.items():
        if (where, path) == (method, template) and status not in responses:
            added: dict[str, Any] = {"description": reason}
            if schema is not None:
                added["content"] = {"application/json": {"schema": schema}}
            responses[status] = added
    _refusals(responses)
    if template == "/.well-known/oauth-authorization-server" and not userinfo:
        # `userinfo_endpoint` is published with GET /oauth/userinfo (Mastodon 4.4).
        ok = responses["200"]["content"]["application/json"]
        ok["schema"] = {"$ref": "#/components/schemas/OauthServerConfigurationWithoutUserinfo"}
    if template in ("/api/v1/media", "/api/v2/media") and method == "post":
        for body in found.get("requestBody", {}).get("content", {}).values():
            body.get("schema", {}).get("properties", {})["license"] = LICENSE
    return found


def describe(routes: Sequence[BaseRoute], claims: Claims) -> dict[str, Any]:
    """The whole description, for this route table and these claims."""
    source = upstream()
    paths: dict[str, dict[str, Any]] = {}
    kept = list(served(routes))
    userinfo = ("get", "/oauth/userinfo") in kept
    for method, template in kept:
        operation = source["paths"][template][method]
        paths.setdefault(template, {})[method] = _operation(
            method, template, operation, userinfo=userinfo
        )
    for alias, template in ALIASES.items():
        route = serving_route(routes, "get", alias)
        if route is not None and "get" in source["paths"].get(template, {}):
            operation = _operation(
                "get", template, source["paths"][template]["get"], userinfo=userinfo
            )
            operation["operationId"] += "Alias"
            operation["deprecated"] = True
            operation["description"] = f"The older name of {template}, still routed by Mastodon."
            paths.setdefault(alias, {})["get"] = operation
    # OpenID Connect lets a client POST the userinfo request too (Mastodon's Doorkeeper route).
    info = paths.get("/oauth/userinfo", {})
    if "get" in info and serving_route(routes, "post", "/oauth/userinfo") is not None:
        posted = info["post"] = copy.deepcopy(info["get"])
        posted["operationId"] += "Post"
        posted["description"] = "The same as GET: OpenID Connect lets a client POST it."
    for (method, template), operation in ADDITIONS.items():
        if serving_route(routes, method, template) is not None:
            added = paths.setdefault(template, {})[method] = copy.deepcopy(operation)
            _refusals(added["responses"])

    schemas = copy.deepcopy(source["components"]["schemas"])
    for (name, where), (corrected, _reason) in ENTITY_CORRECTIONS.items():
        schema = schemas[name]
        for part in where[:-1]:
            schema = schema["properties"][part]
        schema["properties"][where[-1]] = corrected
    schemas["MediaAttachment"].setdefault("properties", {})["license"] = LICENSE
    metadata = copy.deepcopy(schemas["DiscoverOauthServerConfigurationResponse"])
    metadata["required"] = [f for f in metadata.get("required", []) if f != "userinfo_endpoint"]
    metadata["properties"].pop("userinfo_endpoint", None)
    schemas["OauthServerConfigurationWithoutUserinfo"] = metadata
    components = {
        "schemas": schemas,
        "headers": copy.deepcopy(source["components"].get("headers", {})),
        "links": copy.deepcopy(source["components"].get("links", {})),
        "securitySchemes": {"OAuth2": _security(claims, source)},
    }
    document: dict[str, Any] = {
        "openapi": source["openapi"],
        "info": _info(claims),
        "externalDocs": {
            "description": "Mastodon's API documentation (where Bocage departs from it: "
            "docs/mastodon_api.md in Bocage's repository)",
            "url": "https://docs.joinmastodon.org/",
        },
        "servers": [{"url": claims.base_url, "description": "This node"}],
        "security": [],
        "paths": paths,
        "components": components,
    }
    _drop_dangling_links(document)
    _keep_used(document)
    return document


def _drop_dangling_links(document: dict[str, Any]) -> None:
    """Leave out the response links to operations the node does not serve."""
    served_ids = {
        op.get("operationId")
        for ops in document["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
    }
    links = document["components"]["links"]
    for ops in document["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            for response in op.get("responses", {}).values():
                found = response.get("links")
                if not found:
                    continue
                for name, link in list(found.items()):
                    target = links.get(str(link.get("$ref", "")).rsplit("/", 1)[-1], link)
                    if target.get("operationId") not in served_ids:
                        del found[name]
                if not found:
                    del response["links"]


def _info(claims: Claims) -> dict[str, Any]:
    versions = ", ".join(f"{name} {number}" for name, number in claims.api_versions)
    return {
        "title": "Bocage: the Mastodon client API",
        "version": claims.bocage_version,
        "summary": f"The Mastodon {claims.mastodon_version} client API as this Bocage node "
        "serves it",
        "description": (
            f"The Mastodon client API served by this Bocage {claims.bocage_version} node: "
            f"it claims Mastodon {claims.mastodon_version} (`api_versions`: {versions}). "
            "Only the operations the node serves are described. Generated from the node's own "
            "route table and the description that "
            "[mastodon-openapi](https://github.com/abraham/mastodon-openapi) (MIT) generates "
            "from Mastodon's documentation, whose text it keeps: that text is under the "
            "GFDL-1.3 (see `info.license`). Where Mastodon's real answers differ from that "
            "description, and for Bocage's own additions, the operation says so; the "
            "`x-bocage-corrections` list gives each correction's reason. Bocage itself is "
            "free software under the AGPL-3.0-or-later."
        ),
        "license": {"name": "GFDL-1.3", "url": "https://www.gnu.org/licenses/fdl-1.3.en.html"},
        "x-mastodon-version": claims.mastodon_version,
        "x-mastodon-api-versions": dict(claims.api_versions),
        "x-bocage-corrections": [
            f"{method.upper()} {template} → {status}: {reason}"
            for (method, template, status), (_schema, reason) in CORRECTIONS.items()
        ]
        + [
            f"{name}.{'.'.join(where)}: {reason}"
            for (name, where), (_schema, reason) in ENTITY_CORRECTIONS.items()
        ],
    }


def _security(claims: Claims, source: dict[str, Any]) -> dict[str, Any]:
    """The OAuth 2 flows the node's server metadata lists, with the scopes it knows."""
    known = source["components"]["securitySchemes"]["OAuth2"]["flows"]
    words: dict[str, str] = {}
    for flow in known.values():
        words.update(flow.get("scopes", {}))
    scopes = {scope: words.get(scope, scope) for scope in claims.scopes}
    base = claims.base_url
    flows: dict[str, Any] = {}
    if "authorization_code" in claims.grant_types:
        flows["authorizationCode"] = {
            "authorizationUrl": f"{base}/oauth/authorize",
            "tokenUrl": f"{base}/oauth/token",
            "scopes": scopes,
        }
    if "password" in claims.grant_types:
        flows["password"] = {"tokenUrl": f"{base}/oauth/token", "scopes": scopes}
    if "client_credentials" in claims.grant_types:
        flows["clientCredentials"] = {"tokenUrl": f"{base}/oauth/token", "scopes": scopes}
    return {
        "type": "oauth2",
        "description": "OAuth 2.0, as Mastodon's: register an app with POST /api/v1/apps",
        "flows": flows,
    }


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _keep_used(document: dict[str, Any]) -> None:
    """Drop the components no kept operation reaches (following `$ref`s through them)."""
    components = document["components"]
    seen: set[str] = set()
    todo = list(_refs(document["paths"]))
    while todo:
        ref = todo.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        kind, name = ref.removeprefix("#/components/").split("/", 1)
        todo.extend(_refs(components.get(kind, {}).get(name)))
    for kind in ("schemas", "headers", "links"):
        components[kind] = {
            name: value
            for name, value in components[kind].items()
            if f"#/components/{kind}/{name}" in seen
        }

"""Validating answers against the published OpenAPI description of the Mastodon API
(bocage/mastodon_api/data/, from abraham/mastodon-openapi), for the fields it declares."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bocage.mastodon_api.openapi import UPSTREAM

SCHEMA = UPSTREAM
BASE = "urn:mastodon-openapi"


@cache
def document() -> dict[str, Any]:
    """The whole OpenAPI description (read once), with the copy's one ambiguity corrected:
    a Status's `quote` is `oneOf` a Quote or a ShallowQuote, but neither forbids the other's
    fields and both require only `state`, so every quote Mastodon answers (`{"state":
    "revoked", "quoted_status": null}`) matches both and fails `oneOf`: read as `anyOf`."""
    found: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    quote = found["components"]["schemas"]["Status"]["properties"].get("quote")
    if isinstance(quote, dict) and "oneOf" in quote:
        quote["anyOf"] = quote.pop("oneOf")
    return found


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    return Registry().with_resource(BASE, resource)


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{BASE}#/components/schemas/{name}"}, registry=_registry()
    )


def problems(name: str, data: Any) -> list[str]:
    """Every way `data` departs from the schema `name` (empty when it conforms)."""
    errors = _validator(name).iter_errors(data)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors)


def check(name: str, data: Any) -> None:
    found = problems(name, data)
    assert not found, f"{name} does not match the Mastodon OpenAPI schema:\n" + "\n".join(found)


def _anchored(schema: Any) -> Any:
    """`schema` with its document-relative `$ref`s (`#/components/…`) pointing into the
    registered description, so a schema taken out of it (a response's, say) resolves."""
    if isinstance(schema, dict):
        return {
            key: f"{BASE}{value}"
            if key == "$ref" and str(value).startswith("#")
            else _anchored(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_anchored(item) for item in schema]
    return schema


@cache
def _validator_for(text: str) -> Draft202012Validator:
    return Draft202012Validator(_anchored(json.loads(text)), registry=_registry())


def problems_against(schema: dict[str, Any], data: Any) -> list[str]:
    """Every way `data` departs from an arbitrary schema object whose `$ref`s name the
    description's components (e.g. `{"type": "array", "items": {"$ref": "#/…/Status"}}`)."""
    validator = _validator_for(json.dumps(schema, sort_keys=True))
    errors = validator.iter_errors(data)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors)

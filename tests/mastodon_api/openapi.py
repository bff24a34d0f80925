"""Validating answers against the published OpenAPI description of the Mastodon API
(tests/data/mastodon-openapi, abraham/mastodon-openapi), for the fields it declares."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA = Path(__file__).parent.parent / "data" / "mastodon-openapi" / "schema.json"
BASE = "urn:mastodon-openapi"


@cache
def _registry() -> Registry:
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
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

"""The coverage tables at the end of docs/mastodon_api.md stay true: they are what
scripts/mastodon_coverage.py writes now (from Mastodon.py's source, Bocage's route table, the
hand-kept notes and the record of fields), and that record is what a real node sends."""

from __future__ import annotations

import json

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.mastodon_api.coverage_collect import collect, coverage_script
from tests.processes import NodeProcess

OWN_NODE = True  # the record must not depend on what other modules left on a shared node
script = coverage_script()


def test_the_doc_is_what_the_script_writes() -> None:
    coverage = script.compute()
    assert coverage.problems == []
    section = script.render(coverage)
    current = script.current_section(script.DOC.read_text(encoding="utf-8"))
    assert current == section, (
        "docs/mastodon_api.md's coverage section is not what the script writes now: run "
        "`python scripts/mastodon_coverage.py --write`\n" + script.diff(current or "", section)
    )


def test_paths_are_read_as_mastodon_py_sends_them() -> None:
    rows = {(row.function, row.endpoint.key) for row in script.compute().rows}
    # an f-string's parts, a caller's argument bound into a helper's path, branches on it
    assert ("account_follow", "POST /api/v1/accounts/{id}/follow") in rows
    assert ("timeline_hashtag", "GET /api/v1/timelines/tag/{hashtag}") in rows
    assert ("timeline_local", "GET /api/v1/timelines/public") in rows
    assert ("stream_local", "GET /api/v1/streaming/public/local") in rows
    assert ("status_update", "PUT /api/v1/statuses/{id}") in rows
    assert ("status_update", "POST /api/v1/statuses") not in rows  # only a new post POSTs
    assert ("create_app", "POST /api/v1/apps") in rows
    assert ("log_in", "POST /oauth/token") in rows


def test_a_route_catching_a_literal_segment_does_not_serve_it() -> None:
    async def answer(_request: object) -> PlainTextResponse:
        return PlainTextResponse("")

    routes = [Route("/api/v1/notifications/{id}", answer, methods=["GET"])]
    unread = script.Endpoint("/api/v1/notifications/unread_count", "GET")
    one = script.Endpoint("/api/v1/notifications/{id}", "GET")
    caught = script.serves(routes, unread)
    assert not caught.served and caught.by == "/api/v1/notifications/{id}"
    assert script.serves(routes, one).served
    assert not script.serves(routes, script.Endpoint("/api/v1/notifications/{id}", "DELETE")).served


@pytest.mark.slow
@pytest.mark.xdist_group("api_coverage")
def test_the_record_of_fields_is_what_a_node_sends(api_node: NodeProcess) -> None:
    recorded = json.loads(script.OBSERVED.read_text(encoding="utf-8"))
    observed = collect(api_node)
    assert observed == recorded, (
        "the node sends other fields than tests/data/mastodon_coverage_fields.json records: "
        "run `python scripts/mastodon_coverage.py --collect --write`\n"
        + script.diff(
            json.dumps(recorded, indent=1, sort_keys=True),
            json.dumps(observed, indent=1, sort_keys=True),
        )
    )

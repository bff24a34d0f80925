"""What ActivityPub clients send and expect: media types and content negotiation; and where a
route finds the node's services (`services_of`), below the faces so that any face may use it
without importing another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

if TYPE_CHECKING:  # the services are above: named for the type checker only
    from bocage.services import Services

ACTIVITY_JSON = "application/activity+json"
JRD_JSON = "application/jrd+json"
ACTIVITY_STREAMS = "https://www.w3.org/ns/activitystreams"


def services_of(request: HTTPConnection) -> Services:
    """The node's services, which every route works through."""
    return request.app.state.services


def wants_activity(request: Request) -> bool:
    """Does the client ask for ActivityStreams JSON rather than a web page?

    Servers send `application/activity+json` or `application/ld+json; profile=…`; browsers
    send `text/html`. Anything else that names JSON gets JSON too (curl -H 'Accept: …').
    """
    accept = request.headers.get("accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


def activity_response(document: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(document),
        status_code=status,
        media_type=ACTIVITY_JSON,
        headers={"vary": "Accept"},
    )


def json_response(
    document: dict[str, Any], media_type: str = "application/json", status: int = 200
) -> Response:
    # Discovery documents are public and read by web clients from other origins.
    return Response(
        orjson.dumps(document),
        status_code=status,
        media_type=media_type,
        headers={"access-control-allow-origin": "*"},
    )


def error(message: str, status: int) -> Response:
    return json_response({"error": message}, status=status)

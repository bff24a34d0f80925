"""Relationships between the caller and other accounts: read them, follow (with its options),
unfollow, block, mute and their undoing, follow requests, the followers/following lists,
familiar followers, private notes, and endorsements (featured profiles)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.graph import graph
from bocage.kernel.errors import InvalidInput
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import optional, require_user
from bocage.mastodon_api.http import (
    bool_param,
    count_param,
    id_list,
    json,
    link_header,
    page_of,
    params,
    services_of,
    text_param,
    validation,
)
from bocage.services.graph import GraphService, Outcome
from bocage.store.models import Account

GraphAction = Callable[[GraphService], Callable[[Account, int], Awaitable[Outcome]]]


def _relationship(outcome: Outcome) -> dict[str, Any]:
    return entities.relationship(outcome.target.id, outcome.relationship)


async def relationships(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    values = await params(request)
    ids, with_suspended = id_list(values, "id"), bool_param(values, "with_suspended")
    found = await services_of(request).graph.relationships(
        caller, ids, with_suspended=with_suspended
    )
    return json([entities.relationship(target, shown) for target, shown in found])


async def familiar_followers(request: Request) -> Response:
    """For each account asked about, the accounts the caller follows that follow it."""
    _grant, caller = await require_user(request, "read:follows")
    ids = id_list(await params(request), "id")
    services = services_of(request)
    found = await services.graph.familiar_followers(caller, ids)
    return json(
        [
            {"id": str(target), "accounts": [entities.account(services.ctx, a) for a in people]}
            for target, people in found
        ]
    )


async def follow(request: Request) -> Response:
    """Follow, or change the options of a follow: `reblogs`, `notify`, `languages[]`; an
    option left out stays as it is (a new follow starts from the defaults)."""
    _grant, caller = await require_user(request, "write:follows")
    options = _follow_options(await params(request))
    outcome = await services_of(request).graph.follow(caller, request.path_params["id"], options)
    return json(_relationship(outcome))


def _follow_options(values: dict[str, Any]) -> graph.FollowOptions:
    languages = values.get("languages")
    if languages is not None:
        languages = languages if isinstance(languages, list) else [languages]
        if not all(isinstance(code, str) for code in languages):
            raise InvalidInput("Validation failed: Languages is invalid")
        languages = tuple(code.strip() for code in languages if code.strip())
    options = graph.FollowOptions(
        reblogs=bool_param(values, "reblogs") if "reblogs" in values else None,
        notify=bool_param(values, "notify") if "notify" in values else None,
        languages=languages,
    )
    with validation():
        graph.check_options(options)
    return options


def _action(
    action: GraphAction, scope: str, *, validated: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """A POST /api/v1/accounts/:id/<verb> that applies `action`, then answers the new
    Relationship (Mastodon's contract for all of them). `validated`: a refusal is worded
    as Mastodon's model validations word it."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        apply = action(services_of(request).graph)
        with validation() if validated else contextlib.nullcontext():
            outcome = await apply(caller, request.path_params["id"])
        return json(_relationship(outcome))

    return endpoint


async def mute(request: Request) -> Response:
    """Mute, with `duration` (seconds; 0 or left out: until unmuted) and `notifications`
    (false: their notifications still come). Muting again sets both anew, as Mastodon's."""
    _grant, caller = await require_user(request, "write:mutes")
    values = await params(request)
    duration = count_param(values.get("duration"), "duration")
    with validation():
        outcome = await services_of(request).graph.mute(
            caller,
            request.path_params["id"],
            duration or None,
            notifications=bool_param(values, "notifications", default=True),
        )
    return json(_relationship(outcome))


async def note(request: Request) -> Response:
    """The caller's private note about an account (`comment`; blank or left out: none)."""
    _grant, caller = await require_user(request, "write:accounts")
    comment = text_param(await params(request), "comment")
    with validation():
        outcome = await services_of(request).graph.set_note(
            caller, request.path_params["id"], comment
        )
    return json(_relationship(outcome))


async def my_endorsements(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    return await _endorsements_of(request, caller.id)


async def endorsements_of(request: Request) -> Response:
    await optional(request, "read:accounts")
    return await _endorsements_of(request, request.path_params["id"])


async def _endorsements_of(request: Request, account_id: int) -> Response:
    """A page of the accounts someone endorses (newest first), with Mastodon's Link header."""
    services, page = services_of(request), page_of(request, default_limit=40, max_limit=80)
    found = await services.graph.endorsed(account_id, page)
    headers = link_header(request, [endorsement for endorsement, _ in found])
    return json([entities.account(services.ctx, a) for _, a in found], headers=headers)


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        grant = await optional(request, "read:accounts")
        viewer = grant.account if grant is not None and grant.account else None
        services = services_of(request)
        found = await services.graph.people(which, request.path_params["id"], viewer)
        return json([entities.account(services.ctx, person) for person in found])

    return endpoint


async def follow_requests(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    services = services_of(request)
    found = await services.graph.follow_requests(caller)
    return json([entities.account(services.ctx, a) for a in found])


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, "write:follows")
        follower_id = request.path_params["id"]
        shown = await services_of(request).graph.answer_request(caller, follower_id, accept)
        return json(entities.relationship(follower_id, shown))

    return endpoint


routes = [
    Route("/api/v1/accounts/relationships", relationships, methods=["GET"]),
    Route("/api/v1/accounts/familiar_followers", familiar_followers, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/follow", follow, methods=["POST"]),
    Route(
        "/api/v1/accounts/{id:id}/unfollow",
        _action(lambda g: g.unfollow, "write:follows"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id:id}/block",
        _action(lambda g: g.block, "write:blocks"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id:id}/unblock",
        _action(lambda g: g.unblock, "write:blocks"),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id:id}/mute", mute, methods=["POST"]),
    Route(
        "/api/v1/accounts/{id:id}/unmute",
        _action(lambda g: g.unmute, "write:mutes"),
        methods=["POST"],
    ),
    Route(
        "/api/v1/accounts/{id:id}/remove_from_followers",
        _action(lambda g: g.remove_from_followers, "write:follows"),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id:id}/followers", _people("followers"), methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/following", _people("following"), methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/note", note, methods=["POST"]),
    # Endorsements: `pin`/`unpin` until Mastodon 4.4 named them `endorse`/`unendorse`.
    *(
        Route(
            f"/api/v1/accounts/{{id:id}}/{verb}",
            _action(lambda g: g.endorse, "write:accounts", validated=True),
            methods=["POST"],
        )
        for verb in ("pin", "endorse")
    ),
    *(
        Route(
            f"/api/v1/accounts/{{id:id}}/{verb}",
            _action(lambda g: g.unendorse, "write:accounts", validated=True),
            methods=["POST"],
        )
        for verb in ("unpin", "unendorse")
    ),
    Route("/api/v1/accounts/{id:id}/endorsements", endorsements_of, methods=["GET"]),
    Route("/api/v1/endorsements", my_endorsements, methods=["GET"]),
    Route("/api/v1/follow_requests", follow_requests, methods=["GET"]),
    Route("/api/v1/follow_requests/{id:id}/authorize", _answer_request(True), methods=["POST"]),
    Route("/api/v1/follow_requests/{id:id}/reject", _answer_request(False), methods=["POST"]),
]

"""Relationships between the caller and other accounts: read them, follow (with its options),
unfollow, block, mute and their undoing, follow requests, the followers/following lists,
familiar followers, private notes, and endorsements (featured profiles)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import account_notes, accounts, endorsements
from bocage.core.graph import graph
from bocage.kernel.context import Context
from bocage.kernel.errors import InvalidInput, NotFound
from bocage.mastodon_api import entities
from bocage.mastodon_api.auth import optional, require_user
from bocage.mastodon_api.http import (
    bool_param,
    id_list,
    json,
    link_header,
    node_of,
    page_of,
    params,
    text_param,
    validation,
)
from bocage.store.models import Account

GraphAction = Callable[[Session, Context, Account, Account], object]


def _pair(session: Session, caller_id: int, target_id: int | None) -> tuple[Account, Account]:
    me, target = session.get(Account, caller_id), session.get(Account, target_id or 0)
    if me is None or target is None or target.suspended:
        raise NotFound("Record not found")
    return me, target


async def relationships(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    values = await params(request)
    ids, with_suspended = id_list(values, "id"), bool_param(values, "with_suspended")

    def load(session: Session) -> list[dict[str, Any]]:
        known = [a.id for a in accounts.by_ids(session, ids, with_suspended=with_suspended)]
        found = graph.relationships(session, caller.id, known)
        return [entities.relationship(target, found[target]) for target in known]

    return json(await node_of(request).db.read(load))


async def familiar_followers(request: Request) -> Response:
    """For each account asked about, the accounts the caller follows that follow it."""
    _grant, caller = await require_user(request, "read:follows")
    ids = id_list(await params(request), "id")
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        shown = [account.id for account in accounts.by_ids(session, ids)]
        found = graph.familiar_followers(session, caller.id, shown)
        return [
            {"id": str(target), "accounts": [entities.account(node.ctx, a) for a in found[target]]}
            for target in shown
        ]

    return json(await node.db.read(load))


async def follow(request: Request) -> Response:
    """Follow, or change the options of a follow: `reblogs`, `notify`, `languages[]`; an
    option left out stays as it is (a new follow starts from the defaults)."""
    _grant, caller = await require_user(request, "write:follows")
    target_id = request.path_params["id"]
    options = _follow_options(await params(request))
    node = node_of(request)

    def apply(session: Session, ctx: Context) -> dict[str, Any]:
        me, target = _pair(session, caller.id, target_id)
        graph.follow(session, ctx, me, target, options=options)
        session.flush()
        return entities.relationship(target.id, graph.relationship(session, me.id, target.id))

    answer = await node.db.write(apply, node.ctx)
    return json(answer)


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


def _action(action: GraphAction, scope: str) -> Callable[[Request], Awaitable[Response]]:
    """A POST /api/v1/accounts/:id/<verb> that applies `action`, then answers the new
    Relationship (Mastodon's contract for all of them)."""

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, scope)
        target_id = request.path_params["id"]
        node = node_of(request)

        def apply(session: Session, ctx: Context) -> dict[str, Any]:
            me, target = _pair(session, caller.id, target_id)
            action(session, ctx, me, target)
            session.flush()
            return entities.relationship(target.id, graph.relationship(session, me.id, target.id))

        answer = await node.db.write(apply, node.ctx)
        return json(answer)

    return endpoint


def _mute(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    graph.mute(session, me, target)


def _unmute(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    graph.unmute(session, me, target)


def _endorse(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    with validation():
        endorsements.endorse(session, me, target)


def _unendorse(session: Session, _ctx: Context, me: Account, target: Account) -> None:
    endorsements.unendorse(session, me, target)


async def note(request: Request) -> Response:
    """The caller's private note about an account (`comment`; blank or left out: none)."""
    _grant, caller = await require_user(request, "write:accounts")
    target_id = request.path_params["id"]
    comment = text_param(await params(request), "comment")
    node = node_of(request)

    def apply(session: Session) -> dict[str, Any]:
        me, target = _pair(session, caller.id, target_id)
        with validation():
            account_notes.set_note(session, me, target, comment)
        return entities.relationship(target.id, graph.relationship(session, me.id, target.id))

    return json(await node.db.write(apply))


async def my_endorsements(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:accounts")
    return await _endorsements_of(request, caller.id)


async def endorsements_of(request: Request) -> Response:
    await optional(request, "read:accounts")
    return await _endorsements_of(request, request.path_params["id"])


async def _endorsements_of(request: Request, account_id: int | None) -> Response:
    """A page of the accounts someone endorses (newest first), with Mastodon's Link header."""
    node, page = node_of(request), page_of(request, default_limit=40, max_limit=80)

    def load(session: Session) -> list[tuple[int, dict[str, Any]]]:
        account = session.get(Account, account_id or 0)
        if account is None or account.suspended:
            raise NotFound("Record not found")
        found = endorsements.endorsed(session, account.id, page)
        return [(endorsement, entities.account(node.ctx, a)) for endorsement, a in found]

    found = await node.db.read(load)
    headers = link_header(request, [endorsement for endorsement, _ in found])
    return json([account for _, account in found], headers=headers)


def _people(which: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        grant = await optional(request, "read:accounts")
        viewer_id = grant.account.id if grant is not None and grant.account else None
        account_id = request.path_params["id"]
        node = node_of(request)

        def load(session: Session) -> list[dict[str, Any]]:
            account = session.get(Account, account_id or 0)
            if account is None or account.suspended:
                raise NotFound("Record not found")
            found = getattr(graph, which)(session, account, viewer_id=viewer_id)
            return [entities.account(node.ctx, person) for person in found]

        return json(await node.db.read(load))

    return endpoint


async def follow_requests(request: Request) -> Response:
    _grant, caller = await require_user(request, "read:follows")
    node = node_of(request)

    def load(session: Session) -> list[dict[str, Any]]:
        me = session.get(Account, caller.id)
        assert me is not None
        return [entities.account(node.ctx, a) for a in graph.pending_requests(session, me)]

    return json(await node.db.read(load))


def _answer_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    decide = graph.accept_request if accept else graph.reject_request

    async def endpoint(request: Request) -> Response:
        _grant, caller = await require_user(request, "write:follows")
        follower_id = request.path_params["id"]
        node = node_of(request)

        def apply(session: Session, ctx: Context) -> dict[str, Any]:
            me, follower = _pair(session, caller.id, follower_id)
            decide(session, ctx, me, follower.id)
            session.flush()
            return entities.relationship(
                follower.id, graph.relationship(session, me.id, follower.id)
            )

        answer = await node.db.write(apply, node.ctx)
        return json(answer)

    return endpoint


routes = [
    Route("/api/v1/accounts/relationships", relationships, methods=["GET"]),
    Route("/api/v1/accounts/familiar_followers", familiar_followers, methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/follow", follow, methods=["POST"]),
    Route(
        "/api/v1/accounts/{id:id}/unfollow",
        _action(graph.unfollow, "write:follows"),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id:id}/block", _action(graph.block, "write:blocks"), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id:id}/unblock", _action(graph.unblock, "write:blocks"), methods=["POST"]
    ),
    Route("/api/v1/accounts/{id:id}/mute", _action(_mute, "write:mutes"), methods=["POST"]),
    Route("/api/v1/accounts/{id:id}/unmute", _action(_unmute, "write:mutes"), methods=["POST"]),
    Route("/api/v1/accounts/{id:id}/followers", _people("followers"), methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/following", _people("following"), methods=["GET"]),
    Route("/api/v1/accounts/{id:id}/note", note, methods=["POST"]),
    # Endorsements: `pin`/`unpin` until Mastodon 4.4 named them `endorse`/`unendorse`.
    Route("/api/v1/accounts/{id:id}/pin", _action(_endorse, "write:accounts"), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id:id}/unpin", _action(_unendorse, "write:accounts"), methods=["POST"]
    ),
    Route(
        "/api/v1/accounts/{id:id}/endorse", _action(_endorse, "write:accounts"), methods=["POST"]
    ),
    Route(
        "/api/v1/accounts/{id:id}/unendorse",
        _action(_unendorse, "write:accounts"),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id:id}/endorsements", endorsements_of, methods=["GET"]),
    Route("/api/v1/endorsements", my_endorsements, methods=["GET"]),
    Route("/api/v1/follow_requests", follow_requests, methods=["GET"]),
    Route("/api/v1/follow_requests/{id:id}/authorize", _answer_request(True), methods=["POST"]),
    Route("/api/v1/follow_requests/{id:id}/reject", _answer_request(False), methods=["POST"]),
]

"""Admin pages: sign-up approval, suspensions, instance settings, invites, failed jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.instance import instance
from bocage.core.media import media
from bocage.kernel.errors import DomainError, InvalidInput
from bocage.services.moderation import ModerationService
from bocage.web import forms
from bocage.web.auth import require_admin, services_of
from bocage.web.render import page, redirect

Decision = Callable[[ModerationService], Callable[..., Awaitable[None]]]


async def index(request: Request) -> Response:
    await require_admin(request)
    return redirect(request, "/admin/signups")


async def signups(request: Request) -> Response:
    await require_admin(request)
    pending = await services_of(request).moderation.pending_signups()
    return await page(request, "admin_signups.html", pending=pending)


def _account_decision(
    decide: Decision, yes: bool, verdict: str, listing: str
) -> Callable[[Request], Awaitable[Response]]:
    """A POST that applies `decide(username, yes)` and returns to `listing`."""

    async def endpoint(request: Request) -> Response:
        admin = await require_admin(request)
        await forms.read_form(request)
        username = request.path_params["username"]
        await decide(services_of(request).moderation)(username, yes, actor=admin.account)
        return redirect(request, listing, f"@{username} {verdict}.")

    return endpoint


async def account_list(request: Request) -> Response:
    await require_admin(request)
    query = request.query_params.get("q", "").strip().lower()
    rows = await services_of(request).moderation.local_accounts(query)
    return await page(request, "admin_accounts.html", rows=rows, q=query)


async def instance_form(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    services = services_of(request)
    password_grant = await services.auth.password_grant_enabled()
    return await page(
        request,
        "admin_instance.html",
        status,
        error=error,
        modes=instance.REGISTRATION_MODES,
        password_grant=password_grant,
        media_rules=await services.media.rules(),
        attachments_range=media.ATTACHMENTS_RANGE,
    )


async def media_rules_update(request: Request) -> Response:
    """How many attachments a post takes, and whether each needs a description."""
    await require_admin(request)
    form = await forms.read_form(request)
    try:
        most = int(forms.text(form, "max_media_attachments", max_length=10) or "0")
    except ValueError:
        most = 0
    try:
        await services_of(request).media.set_rules(most, forms.flag(form, "alt_text_required"))
    except DomainError as exc:
        return await instance_form(request, exc.status, exc.message)
    return redirect(request, "/admin/instance", "Media settings saved.")


async def password_grant_update(request: Request) -> Response:
    """Whether apps may sign people in with their password (toot and Mastodon.py do; apps
    that open the login page do not need it)."""
    await require_admin(request)
    form = await forms.read_form(request)
    await services_of(request).auth.set_password_grant(forms.flag(form, "enabled"))
    return redirect(request, "/admin/instance", "App sign-in setting saved.")


async def instance_update(request: Request) -> Response:
    await require_admin(request)
    form = await forms.read_form(request)
    try:
        await services_of(request).instance.update_info(
            name=forms.text(form, "name", max_length=1000),
            description=forms.text(form, "description", max_length=20_000),
            rules=forms.text(form, "rules", max_length=50_000).split("\n"),
            registration_mode=forms.text(form, "registration_mode", max_length=50),
        )
    except DomainError as exc:
        return await instance_form(request, exc.status, exc.message)
    return redirect(request, "/admin/instance", "Instance settings saved.")


async def invites(request: Request) -> Response:
    admin = await require_admin(request)
    items = await services_of(request).instance.invites(admin.user)
    return await page(request, "admin_invites.html", invites=items)


async def create_invite(request: Request) -> Response:
    admin = await require_admin(request)
    form = await forms.read_form(request)
    max_uses = forms.optional_int(form, "max_uses")
    days = forms.optional_int(form, "expires_days")
    if days is not None and not 1 <= days <= 365:
        raise InvalidInput("An invite can last 1 to 365 days.")
    invite = await services_of(request).instance.create_invite(
        admin.user, max_uses=max_uses, expires_in=timedelta(days=days) if days else None
    )
    return redirect(request, "/admin/invites", f"Invite created: /register?invite={invite.code}")


async def revoke_invite(request: Request) -> Response:
    admin = await require_admin(request)
    await forms.read_form(request)
    await services_of(request).instance.revoke_invite(admin.user, request.path_params["code"])
    return redirect(request, "/admin/invites", "Invite revoked.")


async def jobs(request: Request) -> Response:
    await require_admin(request)
    counts, dead = await services_of(request).instance.jobs()
    return await page(request, "admin_jobs.html", counts=counts, dead=dead)


async def retry_job(request: Request) -> Response:
    await require_admin(request)
    await forms.read_form(request)
    await services_of(request).instance.retry_job(request.path_params["job_id"])
    return redirect(request, "/admin/jobs", "Job queued again.")


routes = [
    Route("/admin", index, methods=["GET"]),
    Route("/admin/signups", signups, methods=["GET"]),
    Route(
        "/admin/signups/{username}/approve",
        _account_decision(lambda m: m.approve, True, "approved", "/admin/signups"),
        methods=["POST"],
    ),
    Route(
        "/admin/signups/{username}/reject",
        _account_decision(lambda m: m.approve, False, "rejected", "/admin/signups"),
        methods=["POST"],
    ),
    Route("/admin/accounts", account_list, methods=["GET"]),
    Route(
        "/admin/accounts/{username}/suspend",
        _account_decision(lambda m: m.suspend, True, "suspended", "/admin/accounts"),
        methods=["POST"],
    ),
    Route(
        "/admin/accounts/{username}/unsuspend",
        _account_decision(lambda m: m.suspend, False, "unsuspended", "/admin/accounts"),
        methods=["POST"],
    ),
    Route("/admin/instance", instance_form, methods=["GET"]),
    Route("/admin/instance", instance_update, methods=["POST"]),
    Route("/admin/instance/password-grant", password_grant_update, methods=["POST"]),
    Route("/admin/instance/media", media_rules_update, methods=["POST"]),
    Route("/admin/invites", invites, methods=["GET"]),
    Route("/admin/invites", create_invite, methods=["POST"]),
    Route("/admin/invites/{code}/revoke", revoke_invite, methods=["POST"]),
    Route("/admin/jobs", jobs, methods=["GET"]),
    Route("/admin/jobs/{job_id:id}/retry", retry_job, methods=["POST"]),
]

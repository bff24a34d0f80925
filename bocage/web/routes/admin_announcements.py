"""Admin page: announcements to everyone on the node (the apps show them above the home
timeline, through `/api/v1/announcements`)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.kernel.errors import DomainError, InvalidInput
from bocage.web import forms
from bocage.web.auth import require_admin, services_of
from bocage.web.render import page, redirect

LISTING = "/admin/announcements"


async def announcements_page(request: Request, status: int = 200, error: str = "") -> Response:
    await require_admin(request)
    found = await services_of(request).instance.all_announcements()
    return await page(request, "admin_announcements.html", status, items=found, error=error)


def _moment(value: str, label: str) -> datetime | None:
    """A `datetime-local` field's value (read as UTC), or None when empty."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"The {label} must be a date and time, like 2026-05-01T18:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def publish(request: Request) -> Response:
    await require_admin(request)
    form = await forms.read_form(request)
    try:
        await services_of(request).instance.publish_announcement(
            forms.text(form, "text", max_length=20_000),
            starts_at=_moment(forms.text(form, "starts_at", max_length=40), "start"),
            ends_at=_moment(forms.text(form, "ends_at", max_length=40), "end"),
            all_day=forms.flag(form, "all_day"),
        )
    except DomainError as refused:
        return await announcements_page(request, refused.status, refused.message)
    return redirect(request, LISTING, "Announcement published.")


async def remove(request: Request) -> Response:
    await require_admin(request)
    await forms.read_form(request)
    try:
        await services_of(request).instance.remove_announcement(request.path_params["item_id"])
    except DomainError as refused:
        return await announcements_page(request, refused.status, refused.message)
    return redirect(request, LISTING, "Announcement removed.")


routes = [
    Route(LISTING, announcements_page, methods=["GET"]),
    Route(LISTING, publish, methods=["POST"]),
    Route(LISTING + "/{item_id:id}/remove", remove, methods=["POST"]),
]

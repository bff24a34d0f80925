"""Settings → Authorized apps: the tokens a person gave client apps, and revoking them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.web import forms
from bocage.web.auth import require_viewer, services_of
from bocage.web.render import page, redirect


async def authorized_apps(request: Request) -> Response:
    viewer = await require_viewer(request)
    grants = await services_of(request).auth.authorized_apps(viewer.user)
    return await page(request, "settings_apps.html", grants=grants)


async def revoke(request: Request) -> Response:
    viewer = await require_viewer(request)
    await forms.read_form(request)
    token_id = int(request.path_params["token_id"])
    await services_of(request).auth.revoke_for_user(viewer.user, token_id)
    return redirect(request, "/settings/apps", "Access revoked.")


routes = [
    Route("/settings/apps", authorized_apps, methods=["GET"]),
    Route("/settings/apps/{token_id:id}/revoke", revoke, methods=["POST"]),
]

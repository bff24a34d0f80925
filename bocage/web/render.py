"""Templates and page responses: every page gets the viewer, the CSRF token and flash notes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bocage.core.limits import limits
from bocage.core.media.media import ALL_RIGHTS_RESERVED, LICENCES
from bocage.core.reading.visibility import Visibility, can_boost
from bocage.core.timelines import pins
from bocage.kernel.clock import now
from bocage.kernel.errors import DomainError, RateLimited
from bocage.web.auth import current_viewer, services_of
from bocage.web.forms import csrf_token, set_csrf_cookie
from bocage.web.media import shown

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "bocage_flash"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def ago(moment: datetime) -> str:
    seconds = int((now() - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now" if seconds < 5 else f"{seconds}s"


def safe_html(markup: str) -> Markup:
    # Only for HTML the core already sanitized with nh3 (post content, bios).
    return Markup(markup)


env.filters["ago"] = ago
# The path part of an account's pages: /@alice here, /@bob@elsewhere for a remote account.
env.filters["acct"] = lambda account: (
    f"{account.username}@{account.domain}" if account.domain else account.username
)
env.filters["safe_html"] = safe_html
env.filters["urlquote"] = lambda value: quote(str(value), safe="")
# The core's words and rules, so that a page never restates them.
env.globals["visibilities"] = list(Visibility)
env.filters["visibility_label"] = lambda value: Visibility(value).label
env.globals["can_boost"] = can_boost
env.globals["pinnable"] = pins.pinnable
env.filters["shown"] = shown  # a media row as a page shows it (web/media.py)
env.globals["licences"] = [("", ALL_RIGHTS_RESERVED), *LICENCES.items()]


def flash(response: Response, request: Request, message: str) -> None:
    signer = URLSafeSerializer(services_of(request).ctx.settings.secret_key, salt="flash")
    response.set_cookie(FLASH_COOKIE, signer.dumps(message[:300]), httponly=True, samesite="lax")


def _take_flash(request: Request) -> str | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        secret = services_of(request).ctx.settings.secret_key
        return str(URLSafeSerializer(secret, salt="flash").loads(raw))
    except BadSignature:
        return None


async def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    services = services_of(request)
    viewer = await current_viewer(request)
    # What every page shows around its content: instance name, unread count.
    chrome = await services.instance.chrome(viewer.account if viewer else None)
    notice = _take_flash(request)
    html = env.get_template(template).render(
        request=request,
        viewer=viewer,
        instance=chrome.info,
        unread=chrome.unread,
        csrf=csrf_token(request),
        notice=notice,
        urls=services.ctx.urls,
        settings=services.ctx.settings,
        limits=limits.of(services.ctx.settings),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if notice:
        response.delete_cookie(FLASH_COOKIE)
    set_csrf_cookie(request, response)
    return response


async def refusal(
    request: Request, template: str, refused: DomainError, **context: Any
) -> Response:
    """`template` again, saying why `refused` (with its status); a rate limit also says when
    to come back (`Retry-After`)."""
    response = await page(request, template, refused.status, error=refused.message, **context)
    if isinstance(refused, RateLimited):
        response.headers["retry-after"] = refused.retry_after_header
    return response


def redirect(request: Request, to: str, message: str | None = None) -> Response:
    response = RedirectResponse(_local(to), status_code=303)
    if message:
        flash(response, request, message)
    return response


def back(request: Request, fallback: str = "/", message: str | None = None) -> Response:
    """Redirect to the page the form was on (same site only)."""
    return redirect(request, request.headers.get("referer") or fallback, message)


def _local(target: str) -> str:
    """Never redirect off-site: keep only the path and query of `target`."""
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")

"""Reading forms safely: a size cap before parsing, and a CSRF check on every POST.

CSRF uses the double-submit pattern: a random HttpOnly cookie, echoed in a hidden form field
(rendered server-side). A cross-site page can make a browser send the cookie, but cannot read
it to fill the field; SameSite=Lax stops most attempts before they get here anyway.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bocage.core.errors import DomainError, InvalidInput
from bocage.web.auth import node_of

CSRF_COOKIE = "bocage_csrf"
CSRF_FIELD = "csrf"


class PayloadTooLarge(DomainError):
    status = 413


class CsrfFailure(DomainError):
    status = 403


def csrf_token(request: Request) -> str:
    """The token for this browser, created on first use (set on the response by middleware)."""
    token = request.cookies.get(CSRF_COOKIE) or request.state._state.get("new_csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Response) -> None:
    token = request.state._state.get("new_csrf")
    if token and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", path="/")


async def read_form(request: Request, *, uploads: bool = False) -> FormData:
    node = node_of(request)
    limit = node.settings.max_upload_bytes + 65536 if uploads else node.settings.max_form_bytes
    body = await _read_capped(request, limit)
    request._body = body  # Starlette parses the form from the cached body
    form = await request.form(max_part_size=limit)
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfFailure(
            "This form expired or did not come from this site. Reload the page and try again."
        )
    return form


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large(limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"That is too much data: the limit is {limit // 1024 // 1024 or 1} MB."


def text(form: FormData, name: str, default: str = "", max_length: int = 100_000) -> str:
    value = form.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput(f"The field {name!r} must be text.")
    if len(value) > max_length:
        raise InvalidInput(f"The field {name!r} is too long.")
    return value.replace("\r\n", "\n")


def flag(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


def optional_int(form: FormData, name: str) -> int | None:
    value = text(form, name).strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(f"The field {name!r} must be a number.")
    return int(value)


def int_list(form: FormData, name: str) -> list[int]:
    """Every value of a repeated field (checkboxes), as numbers."""
    values = [value for value in form.getlist(name) if isinstance(value, str) and value.strip()]
    if not all(value.strip().isdigit() for value in values):
        raise InvalidInput(f"The field {name!r} must hold numbers.")
    return [int(value) for value in values]


async def file_bytes(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return await value.read()

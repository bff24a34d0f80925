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

from bocage.core.media import media
from bocage.crypto.compare import same_secret
from bocage.edge import nul_field, read_body
from bocage.kernel import numbers
from bocage.kernel.errors import DomainError, InvalidInput
from bocage.web.auth import services_of

CSRF_COOKIE = "bocage_csrf"
CSRF_FIELD = "csrf"


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


async def read_form(request: Request, *, uploads: bool = False, albums: bool = False) -> FormData:
    """The form, CSRF-checked; `uploads`: it may carry a file, `albums`: several (as many as
    any request may carry)."""
    settings = services_of(request).ctx.settings
    if albums:
        limit = settings.max_request_bytes
    elif uploads:
        limit = media.upload_body_limit(settings.max_upload_bytes)
    else:
        limit = settings.max_form_bytes
    await read_body(request, limit)  # kept by the request, which parses the form from it
    form = await request.form(max_part_size=limit)
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not isinstance(sent, str) or not same_secret(sent, expected):
        raise CsrfFailure(
            "This form expired or did not come from this site. Reload the page and try again."
        )
    if (field := nul_field(form.multi_items())) is not None:
        raise InvalidInput(f"The field {field!r} contains a NUL character, which it cannot hold.")
    return form


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
    """A whole number, or None when left empty; one beyond 64 bits reads as 2**63 - 1, which
    every rule on a number refuses (kernel/numbers.py)."""
    value = text(form, name).strip()
    if not value:
        return None
    found = numbers.parse_count(value, numbers.ID_LIMIT - 1)
    if found is None:
        raise InvalidInput(f"The field {name!r} must be a number.")
    return found


def optional_id(form: FormData, name: str) -> int | None:
    """The id of something (a post replied to), or None when left empty."""
    value = text(form, name).strip()
    if not value:
        return None
    found = numbers.parse_id(value)
    if found is None:
        raise InvalidInput(f"The field {name!r} must be an id.")
    return found


def int_list(form: FormData, name: str, *, ids: bool = False) -> list[int]:
    """Every value of a repeated field (checkboxes), as numbers (as ids, with `ids`)."""
    values = [value.strip() for value in form.getlist(name) if isinstance(value, str)]
    parse = numbers.parse_id if ids else lambda v: numbers.parse_count(v, numbers.ID_LIMIT - 1)
    found = [parse(value) for value in values if value]
    if None in found:
        raise InvalidInput(f"The field {name!r} must hold {'ids' if ids else 'numbers'}.")
    return [number for number in found if number is not None]


async def file_bytes(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return await value.read()

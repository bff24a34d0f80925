"""An in-process node with both faces (web and Mastodon API) over ASGI, on each database,
and an outside server to look remote accounts up on: the services are called directly and
through each face, to show that every face reaches the same service."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bocage.core.auth import oauth
from bocage.node import Node
from bocage.store.models import Account, User
from tests.addresses import loopback
from tests.conftest import PASSWORD
from tests.outsider import Outsider
from tests.web.conftest import web_node

__all__ = ["web_node"]  # the fixture app_node is built on

OUTSIDE_HOST = loopback(8, 1)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def app_node(web_node: Node) -> Node:
    """A started node (no background worker) whose app is `node.app`: the web tests' own."""
    return web_node


@pytest.fixture
async def outside() -> AsyncIterator[Outsider]:
    server = await Outsider(OUTSIDE_HOST, ("fern", "gale", "heath", "iris", "juniper")).start()
    yield server
    await server.close()


def client(node: Node, token: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=node.app, client=("127.0.0.1", 50000))  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", headers=headers)


def api_token(node: Node, account: Account) -> str:
    with node.db.transaction() as session:
        app = oauth.register_app(session, "services", [], "read write follow", None)
        user = session.scalars(select(User).where(User.account_id == account.id)).one()
        return oauth.token_for_new_user(session, app, user)[0]


async def log_in(browser: httpx.AsyncClient, username: str) -> None:
    """Log a browser's client in on the web face (its cookies, and the CSRF field)."""
    answer = await browser.post(
        "/login", data={"login": username, "password": PASSWORD, **await csrf(browser)}
    )
    assert answer.status_code == 303, answer.text


async def csrf(browser: httpx.AsyncClient) -> dict[str, str]:
    """The CSRF field a page renders into its forms (the log-in form, or a page's)."""
    page = await browser.get("/login")
    found = CSRF_RE.search(page.text) or CSRF_RE.search((await browser.get("/home")).text)
    assert found, "no CSRF field on /login or /home"
    return {"csrf": found.group(1)}


def png(size: tuple[int, int] = (800, 600), color: str = "green") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()

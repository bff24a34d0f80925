"""An in-process web app per test (both databases), driven over ASGI by httpx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bocage.app import create_app
from bocage.node import Node
from tests.conftest import make_settings
from tests.databases import DatabaseFactory

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def post_id_in(html: str, username: str) -> str:
    """The id of the first post by `username` linked on a page."""
    match = re.search(rf'href="/@{username}/(\d+)"', html)
    assert match, f"no post by @{username} on the page"
    return match.group(1)


class Browser:
    """An httpx client that behaves like a browser for forms: cookies and the CSRF field."""

    def __init__(self, client: httpx.AsyncClient, node: Node) -> None:
        self.client = client
        self.node = node

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.client.get(path, **kwargs)  # type: ignore[arg-type]

    async def csrf(self) -> str:
        """The token a page renders into its forms (fetched from a page, as a browser would)."""
        page = await self.client.get("/about")
        match = CSRF_RE.search(page.text)
        if match:
            return match.group(1)
        page = await self.client.get("/login")
        match = CSRF_RE.search(page.text) or CSRF_RE.search((await self.client.get("/")).text)
        assert match, "no CSRF field found on /about, /login or /"
        return match.group(1)

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        files: object = None,
        csrf: bool = True,
        **kwargs: object,
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf"] = await self.csrf()
        return await self.client.post(path, data=form, files=files, **kwargs)  # type: ignore[arg-type]

    async def login(self, login: str, password: str = "correct horse battery") -> httpx.Response:
        return await self.post("/login", {"login": login, "password": password})


@pytest.fixture
async def web_node(backend: str, databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Node]:
    settings = make_settings(tmp_path / "data", databases.url(backend), max_upload_bytes=200_000)
    app = create_app(settings, run_worker=False)
    node: Node = app.state.node
    await node.start()
    node.app = app  # type: ignore[attr-defined]
    yield node
    await node.stop()


def _client(node: Node) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=node.app, client=("127.0.0.1", 50000))  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


@pytest.fixture
async def browser(web_node: Node) -> AsyncIterator[Browser]:
    async with _client(web_node) as client:
        yield Browser(client, web_node)


@pytest.fixture
async def other_browser(web_node: Node) -> AsyncIterator[Browser]:
    async with _client(web_node) as client:
        yield Browser(client, web_node)

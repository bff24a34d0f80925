"""Real `bocage serve` processes on their own loopback addresses, federating over HTTP, and
a person at each one, driving its web pages as a browser would."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
from mastodon import Mastodon

from tests.conftest import PASSWORD
from tests.processes import NodeProcess

T = TypeVar("T")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
FEDERATION_ENV = {"BOCAGE_INSECURE_LOOPBACK": "1", "BOCAGE_JOB_POLL_SECONDS": "0.2"}


def prepare_node(
    root: Path, host: str, users: Sequence[str], env: dict[str, str] | None = None, **options: Any
) -> NodeProcess:
    """A node's data directory under `root` with `users` ("bea*" is an admin), not started
    yet (`NodeProcess.prepare`); `options` for NodeProcess (port, serve_options…)."""
    node = NodeProcess(root / host, host=host, env={**FEDERATION_ENV, **(env or {})}, **options)
    node.prepare(users)
    return node


def start_node(root: Path, host: str, users: Sequence[str], env: dict[str, str]) -> NodeProcess:
    """A started node with `users`; several at once: `prepare_node` each, then `start_all`."""
    node = prepare_node(root, host, users, env)
    node.start()
    return node


class Person:
    """Someone using a node's web pages: logged in, with the CSRF field forms carry."""

    def __init__(self, node: NodeProcess, username: str) -> None:
        self.node = node
        self.username = username
        self.client = httpx.AsyncClient(base_url=node.url, timeout=20.0)

    @property
    def handle(self) -> str:
        return f"{self.username}@{self.node.host}:{self.node.port}"

    async def login(self) -> Person:
        await self.post("/login", {"login": self.username, "password": PASSWORD})
        return self

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def submit(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """A form sent as the browser would, whatever the answer."""
        page = await self.client.get("/about")
        match = CSRF_RE.search(page.text) or CSRF_RE.search((await self.client.get("/login")).text)
        assert match, "no CSRF field on /about or /login"
        return await self.client.post(path, data={**(data or {}), "csrf": match.group(1)})

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """A form that must be accepted."""
        response = await self.submit(path, data)
        assert response.status_code in (200, 303), (
            f"{path}: {response.status_code} {response.text[:500]}"
        )
        return response

    async def publish(self, text: str, visibility: str = "public", **extra: str) -> str:
        """Posts `text`; returns the new post's id on this node."""
        response = await self.post("/posts", {"text": text, "visibility": visibility, **extra})
        match = re.search(r"/@[^/]+/(\d+)", response.headers.get("location", ""))
        if match:
            return match.group(1)
        page = await self.get(f"/@{self.username}?replies=1")
        found = re.search(rf'href="/@{self.username}/(\d+)"', page.text)
        assert found, "the new post is not on the author's profile"
        return found.group(1)


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = 20.0, what: str = ""
) -> T:
    """Poll `check` until it returns something truthy: federation is asynchronous."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within}s: {what} (last: {last!r})")


async def api_follow(client: Mastodon, handle: str) -> Any:
    """Through the client API (`client`, a Mastodon.py client of the follower's node): the
    account `handle` looked up (resolved from its node) and followed, once its node accepted."""
    found = await asyncio.to_thread(client.search_v2, handle, resolve=True, result_type="accounts")
    assert len(found.accounts) == 1, found
    account = found.accounts[0]
    await asyncio.to_thread(client.account_follow, account.id)

    async def accepted() -> bool:
        (relation,) = await asyncio.to_thread(client.account_relationships, account.id)
        return bool(relation.following)

    await eventually(accepted, what=f"follows {handle}")
    return account

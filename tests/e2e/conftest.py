"""Browser tests: a real `bocage serve` process driven by Debian's chromium through Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium (found with `which`).
Without it the tests are skipped, except in CI (CI=true) where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.addresses import loopback
from tests.processes import NodeProcess

HOST = loopback(0, 5)
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETUP_URL_RE = re.compile(r"https?://\S+/setup/\S+")


def chromium_path() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Site:
    """The node under test, and what the tests already did to it."""

    node: NodeProcess
    admin: str = "admin"
    instance_name: str = "Hedgerow Commons"
    setup_done: bool = False
    _counter: int = 0

    @property
    def url(self) -> str:
        return self.node.url

    def setup_url(self) -> str:
        match = SETUP_URL_RE.search(self.node.setup_link())
        assert match, f"no setup URL in the output:\n{self.node.log()}"
        return match.group(0)

    def new_name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("e2e")
    # Every person of these tests signs up from this one address.
    node = NodeProcess(root / "data", host=HOST, env={"BOCAGE_SIGNUPS_PER_ADDRESS": "100"})
    node.prepare()
    node.start()
    try:
        yield Site(node)
    finally:
        node.stop()


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (one per person: separate cookies)."""
    contexts = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Error pages (404, 403...) are expected here; anything else (a CSP violation, a
        # script error) is a bug in the pages.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"{message.location.get('url')}: {message.text}")

    def open_page(**options: object) -> Page:
        context = browser.new_context(base_url=site.url, **options)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "the browser console reported errors:\n" + "\n".join(problems)


def wait_for(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()

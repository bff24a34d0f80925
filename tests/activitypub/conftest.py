"""The ActivityPub face in-process (both databases), over ASGI: the web tests' fixtures, and a
remote sender this node already knows."""

import pytest

from bocage.store.models import Account
from tests.activitypub.helpers import know_remote_actor
from tests.core import helpers
from tests.web.conftest import Browser, browser, web_node

__all__ = ["browser", "sender", "web_node"]


@pytest.fixture
def sender(browser: Browser) -> Account:
    helpers.user(browser.node, "alice")
    return know_remote_actor(browser.node)

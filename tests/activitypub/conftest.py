"""The ActivityPub face in-process (both databases), over ASGI: the web tests' fixtures."""

from tests.web.conftest import browser, web_node

__all__ = ["browser", "web_node"]

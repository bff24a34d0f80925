"""A node asked to stop (SIGTERM, as systemd or Ctrl-C asks) stops even while clients hold
streaming connections open: requests in flight get `server.GRACEFUL_SHUTDOWN_SECONDS` to
finish, then what is still open is closed and the process exits cleanly. Before, one open
stream kept a node waiting for ever, until something killed it without a clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from bocage.server import GRACEFUL_SHUTDOWN_SECONDS
from tests.addresses import loopback
from tests.integration.helpers import api_token
from tests.processes import NodeProcess

pytestmark = pytest.mark.slow

ENV = {"BOCAGE_LAN_DISCOVERY": "0"}


async def test_a_node_with_open_streams_stops_on_sigterm(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "node", host=loopback(10, 1), env=ENV)
    node.prepare(["alice"])
    node.start()
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=10) as client:
            token = await api_token(client, "alice")
            headers = {"Authorization": f"Bearer {token}"}
            async with client.stream("GET", "/api/v1/streaming/user", headers=headers) as stream:
                assert stream.status_code == 200
                assert node.process is not None
                os.killpg(node.process.pid, signal.SIGTERM)
                # Without a bound on the graceful wait, this never returns (the stream is open).
                code = await asyncio.to_thread(
                    node.process.wait, timeout=GRACEFUL_SHUTDOWN_SECONDS + 10
                )
        assert code in (0, -signal.SIGTERM), node.log()  # uvicorn re-raises the signal
        assert "Traceback" not in node.log()
    except subprocess.TimeoutExpired:
        pytest.fail(f"the node did not stop with a stream open:\n{node.log()}")
    finally:
        node.kill()

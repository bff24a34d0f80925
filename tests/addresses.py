"""Loopback addresses and ports for the servers tests start, unique per pytest-xdist worker.

The suite runs on two workers at once (`-n 2` in pyproject.toml). Two workers that both start
a node on 127.0.0.2, or both take a free port from the kernel and hand it to a `bocage serve`
a moment later, would collide. So each worker gets a block of its own, named after its id
(PYTEST_XDIST_WORKER: "gw0", "gw1"…; "gw0" outside xdist):
- addresses 127.{10 + n}.x.y for worker n (all of 127.0.0.0/8 is the loopback interface on
  Linux, and nodes with insecure_loopback treat every such address as loopback);
- ports from a window of 1,000 of its own, below the kernel's ephemeral range (32768 and up),
  so that neither another worker nor an outgoing connection holds one it hands out.

127.0.x.y stays for names nothing listens on: the domain of in-process nodes
(127.0.0.1:8000), remote actors where nothing answers (127.0.0.9:N), client addresses given
to an in-process limiter. A test that listens takes its address from `loopback()`.
"""

from __future__ import annotations

import itertools
import os
import socket

WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
PORTS_PER_WORKER = 1000
FIRST_PORT = 20000 + WORKER * PORTS_PER_WORKER  # below 32768 for workers gw0 to gw11
_next_port = itertools.cycle(range(FIRST_PORT, FIRST_PORT + PORTS_PER_WORKER))


def loopback(block: int, n: int) -> str:
    """Address `n` of `block` for this worker: loopback(0, 2) is 127.10.0.2 on gw0, 127.11.0.2
    on gw1. Blocks keep the suite's old layout (block 0 for the federation and p2p nodes,
    2 for integration, 5 for p2p teaching…), so that tests of one module never share one."""
    if not (0 <= block <= 255 and 1 <= n <= 254):
        raise ValueError(f"no loopback address {block}.{n}")
    return f"127.{10 + WORKER}.{block}.{n}"


def free_port(host: str) -> int:
    """A port of this worker's window that nothing listens on at `host` right now. Ports are
    handed out in turn, so two servers this worker starts one after the other never get the
    same one, even before the first has bound it."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_next_port)
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:  # in use (or in TIME_WAIT): the next one
                continue
            return port
    raise AssertionError(f"no free port in {FIRST_PORT}-{FIRST_PORT + PORTS_PER_WORKER - 1}")

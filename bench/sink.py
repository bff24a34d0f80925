"""A local sink for the delivery bench: answers 202 to every POST on many loopback addresses
(one per simulated server) and counts them. `python -m bench.sink HOSTS PORT` prints
"ready" once listening; each line read on stdin is answered with the count so far."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


def host_address(index: int) -> str:
    """Simulated server `index` lives on its own loopback address: 127.0.1.1, 127.0.1.2…"""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


async def main(hosts: int, port: int) -> None:
    received = 0

    async def inbox(_request: web.Request) -> web.Response:
        nonlocal received
        await _request.read()
        received += 1
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{path:.*}", inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for index in range(hosts):
        await web.TCPSite(runner, host_address(index), port, backlog=1024).start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        print(received, flush=True)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))

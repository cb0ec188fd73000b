"""The baseline: a hello-world QuartTrio app on the server's own hypercorn/trio stack.

`POST /rpc` reads the body and answers one fixed, small JSON-RPC envelope; `GET /healthz` answers
`ok`. It is served with the Dramaturg server's hypercorn configuration, so the gap between this app
and the real methods is what Dramaturg adds (envelope and params decoding, the store, the codec,
logging). Run it in its own process: `python -m benchmarks.bare_app --listen 127.0.0.1:PORT`.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Awaitable, Callable, Sequence

import trio
from hypercorn.trio import serve
from quart import Response, request
from quart_trio import QuartTrio

from transport.serve_command import run_until_signalled
from transport.server import hypercorn_config
from transport.settings import Settings

HELLO_ENVELOPE = b'{"jsonrpc":"2.0","id":"bench","result":{"type":"hello","message":"hello world"}}'


def create_bare_app() -> QuartTrio:
    app = QuartTrio(__name__, static_folder=None)

    @app.post("/rpc")
    async def rpc() -> Response:
        await request.get_data()
        return Response(HELLO_ENVELOPE, content_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok", content_type="text/plain")

    return app


async def serve_bare_app(
    listen: str,
    shutdown_trigger: Callable[[], Awaitable[None]],
    *,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    config = hypercorn_config(Settings(listen=listen))
    await serve(create_bare_app(), config, shutdown_trigger=shutdown_trigger, task_status=task_status)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_app", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port to bind (loopback)")
    args = parser.parse_args(argv)
    trio.run(run_until_signalled, functools.partial(serve_bare_app, args.listen))


if __name__ == "__main__":
    main()

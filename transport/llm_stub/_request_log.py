"""One log line per request the stub answers: route, model, whether it streamed, status, duration.

The line never carries prompts or keys. `duration_ms` runs until the answer's headers; a streamed
body follows them at the stub's token rate.
"""

from __future__ import annotations

import logging
import time

from quart import Response, g, request
from quart_trio import QuartTrio

log = logging.getLogger(__name__)

UNLOGGED_PATHS = frozenset({"/healthz"})  # polled by whoever waits for the stub to start
MAX_MODEL_CHARS = 100


def log_requests(app: QuartTrio) -> None:
    """Make `app` log a `llm_stub_request` line for every request it answers."""

    @app.before_request
    async def note_start() -> None:
        g.stub_started_s = time.perf_counter()

    @app.after_request
    async def log_answer(response: Response) -> Response:
        if request.path in UNLOGGED_PATHS:
            return response
        body = await request.get_json(force=True, silent=True)  # the route has read and cached it
        model = body.get("model") if isinstance(body, dict) else None
        fields = {
            "route": f"{request.method} {request.path}",
            "model": model[:MAX_MODEL_CHARS] if isinstance(model, str) else None,
            "streamed": response.mimetype == "text/event-stream",
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.stub_started_s) * 1000, 2),
        }
        log.info("llm_stub_request", extra={key: value for key, value in fields.items() if value is not None})
        return response

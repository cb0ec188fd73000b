"""The stub's QuartTrio app: both provider APIs plus the control API under `/_stub/`.

Provider routes: `POST /v1/chat/completions` and `POST /chat/completions` (open_ai),
`POST /v1/messages` (anthropic), `GET /models` (open_ai) and `GET /v1/models` (anthropic
when the request carries Anthropic headers, else open_ai). Anthropic's model list honours
`after_id` and `limit`, and pages by `StubSettings.models_page_size` when set.
Control routes: `POST /_stub/script`, `GET /_stub/requests`, `POST /_stub/reset`. Steps queued
for the model name `_models` answer the model-list routes (status, delay, invalid JSON).
`GET /healthz` answers `ok` once the stub serves (not logged as a received request).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import attrs
import trio
from quart import Response, request
from quart_trio import QuartTrio

from runtime.codec import CODEC
from runtime.errors import InvalidParams
from runtime.llm.anthropic_wire import AnthropicChatBody
from runtime.llm.openai_wire import OpenAiChatBody
from transport.llm_stub import _anthropic, _openai
from transport.llm_stub._answer import MS_PER_S, plan_answer
from transport.llm_stub._formats import Refused, anthropic_form, openai_form
from transport.llm_stub._request_log import log_requests
from transport.llm_stub._responses import INVALID_JSON_BODY, json_response, raw_response
from transport.llm_stub._script import MODELS_SCRIPT_KEY, ReceivedRequest, RequestsListed, ScriptBook, ScriptParams
from transport.llm_stub._settings import StubMode, StubSettings

T = TypeVar("T")


@attrs.frozen
class ControlError:
    error: str


@attrs.frozen
class ControlDone:
    ok: bool = True


def create_stub_app(settings: StubSettings, book: ScriptBook | None = None) -> QuartTrio:
    """The stub over `book` (a fresh one by default), which holds queued steps and the request log."""
    app = QuartTrio(__name__, static_folder=None)
    app.config["RESPONSE_TIMEOUT"] = None
    log_requests(app)
    script = book or ScriptBook()

    @app.post("/v1/chat/completions")
    @app.post("/chat/completions")
    async def openai_chat() -> Response:
        body = await _received(script)
        problem = _openai.auth_problem(request.headers)
        if problem is not None:
            return problem
        try:
            chat = _decode(body, OpenAiChatBody)
            form = openai_form(chat, settings.refused)
        except InvalidParams as exc:
            return _openai.error_response(400, exc.message)
        except Refused as exc:
            return _openai.error_response(400, str(exc))
        system = next((m.content for m in chat.messages if m.role == "system"), "")
        user = "\n\n".join(m.content for m in chat.messages if m.role == "user")
        answer = plan_answer(
            script.next_step(chat.model),
            system,
            user,
            form=form,
            settings=settings,
            number=script.next_answer_number(),
        )
        if chat.stream and answer.status is None:
            return _openai.stream_response(answer, chat.model)
        await trio.sleep(answer.delay_s)
        return _openai.chat_response(answer, chat.model)

    @app.post("/v1/messages")
    async def anthropic_messages() -> Response:
        body = await _received(script)
        problem = _anthropic.auth_problem(request.headers)
        if problem is not None:
            return problem
        try:
            chat = _decode(body, AnthropicChatBody)
            form = anthropic_form(chat, settings.refused)
        except InvalidParams as exc:
            return _anthropic.error_response(400, exc.message)
        except Refused as exc:
            return _anthropic.error_response(400, str(exc))
        user = "\n\n".join(m.content for m in chat.messages if m.role == "user")
        answer = plan_answer(
            script.next_step(chat.model),
            chat.system or "",
            user,
            form=form,
            settings=settings,
            number=script.next_answer_number(),
        )
        if chat.stream and answer.status is None:
            return _anthropic.stream_response(answer, chat.model)
        await trio.sleep(answer.delay_s)
        return _anthropic.chat_response(answer, chat.model)

    @app.get("/models")
    async def openai_models() -> Response:
        await _received(script)
        return _openai.auth_problem(request.headers) or await _models(_openai, openai_model_list)

    @app.get("/v1/models")
    async def either_models() -> Response:
        await _received(script)
        if "x-api-key" in request.headers or "anthropic-version" in request.headers:
            return _anthropic.auth_problem(request.headers) or await _models(_anthropic, anthropic_model_page)
        return _openai.auth_problem(request.headers) or await _models(_openai, openai_model_list)

    def openai_model_list() -> Response:
        return _openai.models_response(settings.models)

    def anthropic_model_page() -> Response:
        return _anthropic.models_page_response(settings.models, request.args, settings.models_page_size)

    async def _models(provider: ModuleType, model_list: Callable[[], Response]) -> Response:
        """The model list (`model_list`), or the fault of a step queued for `MODELS_SCRIPT_KEY`."""
        step = script.next_step(MODELS_SCRIPT_KEY, fall_back=False)
        if step is None:
            return model_list()
        await trio.sleep((settings.latency_ms + step.delay_ms) / MS_PER_S)
        if step.status is not None:
            return provider.error_response(step.status, step.error_message, step.raw_body)
        if step.invalid_json:
            return raw_response(INVALID_JSON_BODY, 200)
        return model_list()

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok", content_type="text/plain")

    @app.post("/_stub/script")
    async def queue_steps() -> Response:
        if settings.mode is StubMode.AUTO:
            return json_response(ControlError("the stub runs in auto mode; start it with --mode scripted"), 409)
        try:
            params = _decode(_json_or_none(await request.get_data()), ScriptParams)
        except InvalidParams as exc:
            return json_response(ControlError(exc.message), 400)
        return json_response(script.queue(params))

    @app.get("/_stub/requests")
    async def received_requests() -> Response:
        return json_response(RequestsListed(script.received()))

    @app.post("/_stub/reset")
    async def reset() -> Response:
        script.reset()
        return json_response(ControlDone())

    return app


async def _received(script: ScriptBook) -> Any:
    """Log the current request and return its JSON body (None when absent or not JSON)."""
    body = _json_or_none(await request.get_data())
    headers = {name.lower(): value for name, value in request.headers.items()}
    query = request.query_string.decode("latin-1") or None
    script.receive(ReceivedRequest(request.method, request.path, headers, body, query))
    return body


def _json_or_none(data: str | bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _decode(value: Any, record_type: type[T]) -> T:
    return CODEC.structure(value, record_type, path="body")

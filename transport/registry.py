"""The method registry as data: name → params type, result tag, payload type, handler.

The 96 names of PROTOCOL §6.0 are all registered from the start; a method whose family is
not built yet has no handler and answers 50001 "not implemented yet" (never -32601). Dramaturg's
own methods (EXTENSION_METHOD_NAMES) are known beside them, and `rpc.discover` shows both.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import Any

import attrs

from runtime.errors import InvalidParams
from runtime.services import Services
from transport.code_docs import summary_of

ALL_METHOD_NAMES: tuple[str, ...] = (
    "api.create",
    "api.get",
    "api.list",
    "api.list_models",
    "api.update",
    "api.delete",
    "api_group.create",
    "api_group.get",
    "api_group.list",
    "api_group.update",
    "api_group.delete",
    "preset.create",
    "preset.get",
    "preset.list",
    "preset.update",
    "preset.delete",
    "preset_entry.create",
    "preset_entry.update",
    "preset_entry.delete",
    "preset_preview.template",
    "preset_preview.runtime",
    "schema.create",
    "schema.get",
    "schema.list",
    "schema.update",
    "schema.delete",
    "lorebook.create",
    "lorebook.get",
    "lorebook.list",
    "lorebook.update",
    "lorebook.delete",
    "lorebook_entry.create",
    "lorebook_entry.get",
    "lorebook_entry.list",
    "lorebook_entry.update",
    "lorebook_entry.delete",
    "player_profile.create",
    "player_profile.get",
    "player_profile.list",
    "player_profile.update",
    "player_profile.delete",
    "character.create",
    "character.get",
    "character.update",
    "character.list",
    "character.delete",
    "story_resources.create",
    "story_resources.get",
    "story_resources.list",
    "story_resources.update",
    "story_resources.delete",
    "story.generate_plan",
    "story.create",
    "story.generate",
    "story.get",
    "story.update",
    "story.update_graph",
    "story.list",
    "story.delete",
    "story_draft.start",
    "story_draft.get",
    "story_draft.list",
    "story_draft.update_graph",
    "story_draft.continue",
    "story_draft.finalize",
    "story_draft.delete",
    "story.start_session",
    "session.get",
    "session.update",
    "session.list",
    "session.delete",
    "session_message.create",
    "session_message.get",
    "session_message.list",
    "session_message.update",
    "session_message.delete",
    "session_character.get",
    "session_character.list",
    "session_character.update",
    "session_character.delete",
    "session_character.enter_scene",
    "session_character.leave_scene",
    "session.run_turn",
    "session.get_variables",
    "session.update_variables",
    "session.suggest_replies",
    "session.set_player_profile",
    "session.update_player_description",
    "session.get_runtime_snapshot",
    "config.get_global",
    "session.get_config",
    "session.update_config",
    "dashboard.get",
    "data_package.export_prepare",
    "data_package.import_prepare",
    "data_package.import_commit",
)

EXTENSION_METHOD_NAMES: tuple[str, ...] = (
    "lorebook.dry_run",
    "character.import_card",
    "character.export_card",
    "lorebook.import",
    "lorebook.export",
    "analytics.llm_usage",
    "analytics.play",
    "analytics.node_visits",
    "analytics.snapshot",
)
"""Methods Dramaturg adds to the protocol's 96 (documented in the README); `rpc.discover` lists them like the
others."""


class SessionUse(enum.Enum):
    """How a method uses the envelope `session_id` (column "sid" of PROTOCOL §6)."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@attrs.frozen
class NoParams:
    """The params of a method that takes none: only `{}` (or no params) is accepted."""


RequestId = str | int
"""A JSON-RPC request id: a string (what the web client sends) or an integer, echoed unchanged."""


@attrs.frozen
class Call:
    """What a handler gets besides its params."""

    services: Services
    request_id: RequestId
    session_id: str | None

    def require_session(self) -> str:
        if self.session_id is None:
            raise InvalidParams("request requires session_id")
        return self.session_id


@attrs.frozen
class Reply:
    """A payload plus the envelope `session_id` to answer with (only `story.start_session`)."""

    payload: Any
    session_id: str | None = None


STREAM_LEFT = "client_left"
"""How a stream ended that its client closed before the last frame (the turn goes on without it)."""


@attrs.define
class StreamEnd:
    """How a stream ended, set by the stream as it writes its last frame: "ok", or the error code of
    the failure it reported (STREAM_LEFT until then)."""

    outcome: int | str = STREAM_LEFT


@attrs.frozen
class Streamed:
    """What a streaming handler answers: the frames to send, and where they say how they ended.
    The request's log line is written when the stream ends, with that outcome."""

    frames: AsyncGenerator[bytes, None]
    end: StreamEnd


Handler = Callable[[Call, Any], Awaitable[Any]]


@attrs.frozen
class Method:
    name: str
    params: type = NoParams
    result_tag: str | None = None
    result: type | None = None  # the payload record type, for `rpc.discover`
    handler: Handler | None = None
    session: SessionUse = SessionUse.NONE
    streaming: bool = False

    @property
    def implemented(self) -> bool:
        return self.handler is not None

    @property
    def summary(self) -> str:
        """What the method does, in one line: the first paragraph of its handler's docstring."""
        return summary_of(self.handler)

    def echoes_session(self, sent: str | None) -> bool:
        """Whether a success answer carries the request's `session_id` (PROTOCOL §3.5)."""
        if self.name == "session.delete":
            return False
        if self.session is SessionUse.REQUIRED:
            return True
        return self.session is SessionUse.OPTIONAL and sent is not None


@attrs.frozen
class Registry:
    methods: dict[str, Method]

    @classmethod
    def build(cls, families: Iterable[Iterable[Method]]) -> Registry:
        """Every known name (protocol and extensions), with the families' methods filled in; refuses
        unknown or twice-defined names."""
        methods = {name: Method(name=name) for name in (*ALL_METHOD_NAMES, *EXTENSION_METHOD_NAMES)}
        defined: set[str] = set()
        for family in families:
            for method in family:
                if method.name not in methods and method.name != "rpc.discover":
                    raise ValueError(f"method {method.name!r} is not in the protocol")
                if method.name in defined:
                    raise ValueError(f"method {method.name!r} is defined twice")
                defined.add(method.name)
                methods[method.name] = method
        return cls(methods)

    def get(self, name: str) -> Method | None:
        return self.methods.get(name)


def forward(operation: Callable[[Services, Any], Awaitable[Any]]) -> Handler:
    """A handler that hands the services and the params to a runtime operation."""

    @functools.wraps(operation)  # the operation's docstring is the method's summary
    async def handler(call: Call, params: Any) -> Any:
        return await operation(call.services, params)

    return handler


def forward_without_params(operation: Callable[[Services], Awaitable[Any]]) -> Handler:
    """A handler for a method without params: hands only the services to the operation."""

    @functools.wraps(operation)
    async def handler(call: Call, params: NoParams) -> Any:
        return await operation(call.services)

    return handler

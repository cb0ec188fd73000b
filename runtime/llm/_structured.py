"""Which structured-output mode a call uses, and what each api's endpoint was found to refuse.

An api's `structured_output` names a mode, or `auto`. Under `auto` a call uses the first mode
of its provider's ladder that the endpoint has not refused; an HTTP error that names the field
a mode sends (say `response_format` or `tools`) moves that api one step down the ladder, and
the call is sent again at once. The same goes for `stream_options` on OpenAI-compatible
endpoints. What was learned is kept per process, keyed by the api and where it points, so an
edit of the api's URL or model starts learning anew; after a restart it is learned again at the
cost of one refused request per step.
"""

from __future__ import annotations

import logging
from typing import Final

import attrs

from runtime.errors import ProviderError
from runtime.llm._errors import ProviderStatusError
from runtime.model.apis import Api, ApiRecord, Provider, StructuredOutput

log = logging.getLogger(__name__)

AUTO_LADDER: Final[dict[Provider, tuple[StructuredOutput, ...]]] = {
    Provider.OPEN_AI: (
        StructuredOutput.JSON_SCHEMA,
        StructuredOutput.JSON_OBJECT_SCHEMA,
        StructuredOutput.JSON_OBJECT,
        StructuredOutput.NONE,
    ),
    Provider.ANTHROPIC: (StructuredOutput.JSON_SCHEMA, StructuredOutput.NONE),
}
"""What `auto` tries, strongest first."""

REFUSED_FIELDS: Final[dict[Provider, dict[StructuredOutput, tuple[str, ...]]]] = {
    Provider.OPEN_AI: {
        StructuredOutput.JSON_SCHEMA: ("response_format", "json_schema"),
        StructuredOutput.JSON_OBJECT_SCHEMA: ("response_format", "schema"),
        StructuredOutput.JSON_OBJECT: ("response_format", "json_object"),
    },
    Provider.ANTHROPIC: {StructuredOutput.JSON_SCHEMA: ("tools", "tool_choice", "tool")},
}
"""The words by which an endpoint's error names what a mode sends."""

STREAM_OPTIONS_FIELD: Final = "stream_options"


@attrs.frozen
class EndpointKey:
    """An api as far as what its endpoint accepts goes."""

    api_id: str | None
    provider: Provider
    base_url: str
    model: str


@attrs.define
class EndpointMemory:
    """What each endpoint refused, for the process's lifetime. Shared by every lane."""

    _steps: dict[EndpointKey, int] = attrs.field(factory=dict)
    _no_stream_usage: set[EndpointKey] = attrs.field(factory=set)

    def mode_for(self, key: EndpointKey, setting: StructuredOutput) -> StructuredOutput:
        """The mode a JSON call uses now: the setting, or under `auto` the ladder's current step."""
        if setting is not StructuredOutput.AUTO:
            return setting
        ladder = AUTO_LADDER[key.provider]
        return ladder[min(self._steps.get(key, 0), len(ladder) - 1)]

    def would_fall_back(
        self, key: EndpointKey, setting: StructuredOutput, used: StructuredOutput | None, error: ProviderError
    ) -> bool:
        """Whether `error` refuses what `used` sends and `auto` has a weaker mode left to try."""
        if used is None or setting is not StructuredOutput.AUTO or not isinstance(error, ProviderStatusError):
            return False
        fields = REFUSED_FIELDS[key.provider].get(used)
        ladder = AUTO_LADDER[key.provider]
        return fields is not None and error.names(fields) and used in ladder[:-1]

    def fall_back(
        self, key: EndpointKey, setting: StructuredOutput, used: StructuredOutput, error: ProviderError
    ) -> bool:
        """Step down the ladder when `error` refuses what `used` sends; True when the call should
        be sent again (only under `auto`, and only when a step is left)."""
        if not self.would_fall_back(key, setting, used, error):
            return False
        ladder = AUTO_LADDER[key.provider]
        step = ladder.index(used) + 1
        self._steps[key] = max(self._steps.get(key, 0), step)
        log.info(
            "llm_structured_output_fallback",
            extra={"api_id": key.api_id, "refused": used.value, "now": ladder[step].value, "error": error.message},
        )
        return True

    def stream_usage(self, key: EndpointKey) -> bool:
        """Whether streamed calls ask for usage (`stream_options.include_usage`)."""
        return key not in self._no_stream_usage

    def drop_stream_usage(self, key: EndpointKey, error: ProviderError) -> bool:
        """Stop asking for streamed usage when `error` refuses `stream_options`; True when it did."""
        if key in self._no_stream_usage or not isinstance(error, ProviderStatusError):
            return False
        if not error.names((STREAM_OPTIONS_FIELD,)):
            return False
        self._no_stream_usage.add(key)
        log.info("llm_stream_usage_refused", extra={"api_id": key.api_id, "error": error.message})
        return True


def endpoint_key(api: ApiRecord | Api) -> EndpointKey:
    return EndpointKey(api.api_id, api.provider, api.base_url.strip().rstrip("/"), api.model.strip())


def mode_in_use(memory: EndpointMemory, api: ApiRecord | Api) -> StructuredOutput:
    """The mode the api's next JSON call uses, as far as `memory` knows its endpoint. The api is
    the stored record or its payload: both carry the endpoint's fields and the setting."""
    return memory.mode_for(endpoint_key(api), api.structured_output or StructuredOutput.AUTO)


def default_structured_output(api: ApiRecord | Api) -> StructuredOutput:
    """The mode an api's JSON calls use when nothing was learned of its endpoint yet."""
    return mode_in_use(EndpointMemory(), api)

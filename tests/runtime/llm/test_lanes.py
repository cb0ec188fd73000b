"""Provider calls spread over lanes of connection pools: a session keeps its lane, others take turns."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import attrs
import httpx
import pytest

from runtime.llm import NO_TAGS, CallTags, ChatRequest, LlmHttp, LlmSettings, open_llm_http, provider_endpoint
from runtime.llm._factory import lane_index
from runtime.model.apis import Agent, Provider
from tests.runtime.llm.conftest import LlmRig

REQUEST = ChatRequest(Agent.NARRATOR, "system", "user")
LANES = 4


@attrs.define
class Exchange:
    lane: int
    client_address: tuple[str, int]
    """The local end of the connection the answer came on: equal addresses mean one connection."""


@attrs.define
class SentLog:
    """Which lane's pool answered each call, in order, read from httpx's response hooks."""

    exchanges: list[Exchange] = attrs.Factory(list)

    def watch(self, llm: LlmHttp) -> None:
        for lane, context in enumerate(llm.lanes):
            context.http.event_hooks = {"request": [], "response": [self._hook(lane)]}

    def _hook(self, lane: int) -> Callable[[httpx.Response], Awaitable[None]]:
        async def record(response: httpx.Response) -> None:
            stream = response.extensions["network_stream"]
            self.exchanges.append(Exchange(lane, stream.get_extra_info("client_addr")))

        return record

    @property
    def lanes(self) -> list[int]:
        return [exchange.lane for exchange in self.exchanges]


def sessions_by_lane(lane_count: int) -> dict[int, str]:
    """One session id for each lane, the first of `session-1`, `session-2`, … that hashes there."""
    found: dict[int, str] = {}
    numbers = itertools.count(1)
    while len(found) < lane_count:
        session_id = f"session-{next(numbers)}"
        found.setdefault(lane_index(CallTags(session_id=session_id), lane_count, iter(())), session_id)
    return found


# -- choosing a lane -----------------------------------------------------------------------


def test_a_session_always_gets_the_same_lane_whatever_came_before() -> None:
    unbound = itertools.count()
    tags = CallTags(session_id="session-7", turn_index=1)
    lanes = {lane_index(attrs.evolve(tags, turn_index=turn), 32, unbound) for turn in range(10)}
    assert len(lanes) == 1
    assert next(unbound) == 0, "a session's call must not use up a round-robin turn"


def test_the_session_decides_the_lane_before_the_draft() -> None:
    session_lane = lane_index(CallTags(session_id="session-3"), 32, iter(()))
    draft_lane = lane_index(CallTags(draft_id="draft-5"), 32, iter(()))
    assert session_lane != draft_lane
    assert lane_index(CallTags(session_id="session-3", draft_id="draft-5"), 32, iter(())) == session_lane
    assert lane_index(CallTags(draft_id="draft-5", turn_index=2), 32, iter(())) == draft_lane


def test_calls_of_no_session_or_draft_take_the_lanes_in_turn() -> None:
    unbound = itertools.count()
    assert [lane_index(NO_TAGS, 3, unbound) for _ in range(7)] == [0, 1, 2, 0, 1, 2, 0]
    assert lane_index(CallTags(turn_index=4), 3, unbound) == 1


def test_a_thousand_sessions_use_every_lane_within_its_connections() -> None:
    settings = LlmSettings()
    load = [0] * settings.pool_lanes
    for number in range(1, 1001):
        load[lane_index(CallTags(session_id=f"session-{number}"), settings.pool_lanes, iter(()))] += 1
    assert min(load) > 0
    assert all(
        sessions <= connections for sessions, connections in zip(load, settings.lane_max_connections(), strict=False)
    )


# -- settings ------------------------------------------------------------------------------


def test_default_connections_are_split_evenly_over_the_lanes() -> None:
    settings = LlmSettings()
    assert settings.lane_max_connections() == [settings.max_connections // settings.pool_lanes] * settings.pool_lanes


def test_connections_that_do_not_divide_go_to_the_first_lanes() -> None:
    assert LlmSettings(pool_lanes=3, max_connections=10).lane_max_connections() == [4, 3, 3]
    assert LlmSettings(pool_lanes=1, max_connections=5).lane_max_connections() == [5]


@pytest.mark.parametrize("lanes", [0, -2])
def test_fewer_than_one_lane_is_refused(lanes: int) -> None:
    with pytest.raises(ValueError, match=f"pool_lanes must be at least 1; got {lanes}"):
        LlmSettings(pool_lanes=lanes)


def test_fewer_connections_than_lanes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"max_connections must be at least pool_lanes \(8\).*got 7"):
        LlmSettings(pool_lanes=8, max_connections=7)


# -- over HTTP -----------------------------------------------------------------------------


async def test_consecutive_calls_of_a_session_reuse_one_connection_of_its_lane(rig: LlmRig, provider: Provider) -> None:
    async with rig.with_settings(pool_lanes=LANES, max_connections=2 * LANES) as llm:
        log = SentLog()
        log.watch(llm)
        tags = CallTags(session_id="session-42", turn_index=1)
        for turn in (1, 2, 3):
            await llm.client_for(rig.api(provider), attrs.evolve(tags, turn_index=turn)).complete(REQUEST)
    first, *others = log.exchanges
    assert first.lane == lane_index(tags, LANES, iter(()))
    assert others == [first, first]


async def test_a_session_streams_in_its_lane_on_one_kept_connection(rig: LlmRig, provider: Provider) -> None:
    async with rig.with_settings(pool_lanes=LANES, max_connections=2 * LANES) as llm:
        log = SentLog()
        log.watch(llm)
        tags = CallTags(session_id="session-42", turn_index=1)
        for _ in range(2):
            async with llm.client_for(rig.api(provider), tags).stream(REQUEST) as stream:
                assert [delta async for delta in stream]
    assert log.lanes == [lane_index(tags, LANES, iter(()))] * 2
    # a stream read to the end of its answer gives its connection back for the next call
    assert log.exchanges[0].client_address == log.exchanges[1].client_address


async def test_sessions_go_to_their_own_lanes(rig: LlmRig) -> None:
    async with rig.with_settings(pool_lanes=LANES, max_connections=LANES) as llm:
        log = SentLog()
        log.watch(llm)
        sessions = sessions_by_lane(LANES)
        for lane in reversed(range(LANES)):
            await llm.client_for(rig.api(Provider.OPEN_AI), CallTags(session_id=sessions[lane])).complete(REQUEST)
        await llm.client_for(rig.api(Provider.OPEN_AI), CallTags(draft_id="draft-1")).complete(REQUEST)
    assert log.lanes == [3, 2, 1, 0, lane_index(CallTags(draft_id="draft-1"), LANES, iter(()))]
    assert len({exchange.client_address for exchange in log.exchanges[:LANES]}) == LANES


async def test_untagged_calls_and_model_lists_take_the_lanes_in_turn(rig: LlmRig, provider: Provider) -> None:
    async with rig.with_settings(pool_lanes=LANES, max_connections=LANES) as llm:
        log = SentLog()
        log.watch(llm)
        for _ in range(LANES + 1):
            await llm.client_for(rig.api(provider)).complete(REQUEST)
        api = rig.api(provider)
        assert await llm.list_models(provider_endpoint(api.provider, api.base_url, api.api_key))
    assert log.lanes == [0, 1, 2, 3, 0, 1]


async def test_every_lane_is_its_own_pool_and_all_are_closed_on_exit() -> None:
    async with open_llm_http(LlmSettings(pool_lanes=LANES, max_connections=LANES)) as llm:
        pools = [context.http for context in llm.lanes]
        assert len(pools) == LANES and len({id(http) for http in pools}) == LANES
        assert not any(http.is_closed for http in pools)
    assert all(http.is_closed for http in pools)

"""Sessions, their transcript and their session characters (PROTOCOL §6.15, §6.16, §7.9, §7.10)."""

from __future__ import annotations

import enum

import attrs

from runtime.model.characters import CharacterSummary
from runtime.model.state import RuntimeSnapshot, StateUpdate

# -- stored records ----------------------------------------------------------------------


@attrs.frozen
class SessionConfig:
    api_group_id: str
    preset_id: str


@attrs.frozen
class SessionRecord:
    """A session as stored: everything but its transcript and session characters."""

    session_id: str
    story_id: str
    display_name: str
    player_profile_id: str | None
    player_schema_id: str
    api_group_id: str
    preset_id: str
    snapshot: RuntimeSnapshot
    created_at_ms: int | None
    updated_at_ms: int | None


class MessageKind(enum.Enum):
    PLAYER_INPUT = "player_input"
    NARRATION = "narration"
    DIALOGUE = "dialogue"
    ACTION = "action"


@attrs.frozen
class SessionMessage:
    """A transcript message; stored as-is (the session id lives in its own column)."""

    message_id: str
    kind: MessageKind
    sequence: int
    turn_index: int
    recorded_at_ms: int
    created_at_ms: int
    updated_at_ms: int
    speaker_id: str
    speaker_name: str
    text: str


@attrs.frozen
class SessionCharacterRecord:
    session_character_id: str
    session_id: str
    display_name: str
    personality: str
    style: str
    system_prompt: str
    created_at_ms: int
    updated_at_ms: int


# -- payloads ------------------------------------------------------------------------------


@attrs.frozen
class SessionCharacter:
    """The payload: `in_scene` says whether the id is in the snapshot's `active_characters`."""

    session_character_id: str
    display_name: str
    personality: str
    style: str
    system_prompt: str
    in_scene: bool
    created_at_ms: int
    updated_at_ms: int


@attrs.frozen
class SessionDetail:
    session_id: str
    story_id: str
    display_name: str
    player_profile_id: str | None
    player_schema_id: str
    api_group_id: str
    preset_id: str
    snapshot: RuntimeSnapshot
    history: list[SessionMessage]
    created_at_ms: int | None
    updated_at_ms: int | None
    config: SessionConfig


@attrs.frozen
class SessionStarted:
    """The `session_started` payload: no `session_id` (the new id travels in the envelope)."""

    story_id: str
    display_name: str
    snapshot: RuntimeSnapshot
    player_profile_id: str | None
    player_schema_id: str
    api_group_id: str
    preset_id: str
    history: list[SessionMessage]
    created_at_ms: int
    updated_at_ms: int
    character_summaries: list[CharacterSummary]
    config: SessionConfig


@attrs.frozen
class SessionSummary:
    session_id: str
    story_id: str
    display_name: str
    player_profile_id: str | None
    player_schema_id: str
    api_group_id: str
    preset_id: str
    turn_index: int
    created_at_ms: int | None
    updated_at_ms: int | None


@attrs.frozen
class SessionsListed:
    sessions: list[SessionSummary]


@attrs.frozen
class SessionDeleted:
    session_id: str


@attrs.frozen
class SuggestedReply:
    reply_id: str
    text: str


@attrs.frozen
class SuggestedReplies:
    replies: list[SuggestedReply]


@attrs.frozen
class SessionVariables:
    custom: dict
    player_state: dict
    character_state: dict


@attrs.frozen
class PlayerDescriptionUpdated:
    snapshot: RuntimeSnapshot


@attrs.frozen
class RuntimeSnapshotPayload:
    snapshot: RuntimeSnapshot


@attrs.frozen
class SessionCharactersListed:
    session_characters: list[SessionCharacter]


@attrs.frozen
class SessionCharacterDeleted:
    session_character_id: str


@attrs.frozen
class SessionMessagesListed:
    messages: list[SessionMessage]


@attrs.frozen
class SessionMessageDeleted:
    message_id: str


# -- params --------------------------------------------------------------------------------


@attrs.frozen
class SessionUpdateParams:
    display_name: str


@attrs.frozen
class RunTurnParams:
    player_input: str


@attrs.frozen
class SuggestRepliesParams:
    limit: int = 3


@attrs.frozen
class SetPlayerProfileParams:
    player_profile_id: str | None = None


@attrs.frozen
class UpdatePlayerDescriptionParams:
    player_description: str


@attrs.frozen
class UpdateVariablesParams:
    update: StateUpdate


@attrs.frozen
class UpdateSessionConfigParams:
    api_group_id: str | None = None
    preset_id: str | None = None


@attrs.frozen
class SessionCharacterIdParams:
    session_character_id: str


@attrs.frozen
class SessionCharacterUpdateParams:
    session_character_id: str
    display_name: str
    personality: str
    style: str
    system_prompt: str


@attrs.frozen
class SessionMessageCreateParams:
    kind: MessageKind
    speaker_id: str
    speaker_name: str
    text: str


@attrs.frozen
class SessionMessageIdParams:
    message_id: str


@attrs.frozen
class SessionMessageUpdateParams:
    message_id: str
    kind: MessageKind
    speaker_id: str
    speaker_name: str
    text: str

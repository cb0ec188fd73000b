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
    """The session's new name."""


@attrs.frozen
class RunTurnParams:
    player_input: str
    """What the player says or does this turn (may be empty; at most the server's `--max-player-input-chars`)."""


@attrs.frozen
class SuggestRepliesParams:
    limit: int = 3
    """How many replies to suggest (2 to 5)."""


@attrs.frozen
class SetPlayerProfileParams:
    player_profile_id: str | None = None
    """The profile to play as; omitted or null: none."""


@attrs.frozen
class UpdatePlayerDescriptionParams:
    player_description: str
    """Who the player is, as the session's prompts describe them."""


@attrs.frozen
class UpdateVariablesParams:
    update: StateUpdate
    """The state operations to apply, in order (`{"ops": [{"type": "SetState", …}]}`)."""


@attrs.frozen
class UpdateSessionConfigParams:
    api_group_id: str | None = None
    """The api group the session's turns use from now on; omitted keeps the current one."""
    preset_id: str | None = None
    """The preset the session's agents use from now on; omitted keeps the current one."""


@attrs.frozen
class SessionCharacterIdParams:
    session_character_id: str
    """The session character's id."""


@attrs.frozen
class SessionCharacterUpdateParams:
    session_character_id: str
    """The session character's id."""
    display_name: str
    """The character's name in this session."""
    personality: str
    """The character's personality in this session."""
    style: str
    """How the character speaks in this session."""
    system_prompt: str
    """The character's system prompt in this session."""


@attrs.frozen
class SessionMessageCreateParams:
    kind: MessageKind
    """What the message is: `player_input`, `narration`, `dialogue` or `action`."""
    speaker_id: str
    """Who speaks: `player`, `narrator` or a character's id."""
    speaker_name: str
    """The speaker's name as the transcript shows it."""
    text: str
    """The message's text."""


@attrs.frozen
class SessionMessageIdParams:
    message_id: str
    """The transcript message's id."""


@attrs.frozen
class SessionMessageUpdateParams:
    message_id: str
    """The transcript message's id."""
    kind: MessageKind
    """What the message is: `player_input`, `narration`, `dialogue` or `action`."""
    speaker_id: str
    """Who speaks: `player`, `narrator` or a character's id."""
    speaker_name: str
    """The speaker's name as the transcript shows it."""
    text: str
    """The message's text."""

"""The JSON Schema each JSON agent's call sends for constrained decoding, tightened per call.

Each schema is generated from the record the agent's output is decoded into (`runtime.json_schema`),
then narrowed with what the call knows, so that a model held to it can only write usable output:

* Keeper: one op branch per declared key, its value typed by its field (and its enum), so an
  undeclared key or a value of the wrong type cannot be written; characters from the cast; no
  `SetCurrentNode`.
* Director: speakers from the characters present; the purposes and beat types of the contract.
* Replyer: at most `limit` replies.
* Architect: the mode's keys only (`draft_continue` writes no start node, schemas or
  introduction), required where the mode requires them; patches and, when continuing,
  transition targets may name the nodes that exist already.

Arrays and strings are bounded where the contracts bound them (the `*_MAX_*` counts, `STRINGS`),
and ids are snake_case, so that a small model cannot run on inside a value or leave an id
empty. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import attrs

from runtime.agents._architect_output import NodeTransitionPatch, _DraftOutput, _GraphOutput
from runtime.json_schema import (
    INTEGER,
    NULL,
    SCALAR_TYPES,
    Schema,
    Tightening,
    array_schema,
    enum_schema,
    record_schema,
    tagged_branch,
)
from runtime.model.graph import Condition, ConditionScope, NarrativeNode, Transition
from runtime.model.presets import ArchitectMode
from runtime.model.schemas import StateFieldSchema, StateSchema, ValueType
from runtime.model.state import (
    AddActiveCharacter,
    RemoveActiveCharacter,
    RemoveCharacterState,
    RemovePlayerState,
    RemoveState,
    SetActiveCharacters,
    SetCharacterState,
    SetCurrentNode,
    SetPlayerState,
    SetState,
    StateUpdate,
)
from runtime.model.turns import ActorBeat, CreateAndEnter, LeaveScene, ResponsePlan
from runtime.state import DeclaredFields

ID_PATTERN: Final = "^[a-z][a-z0-9_]*$"
"""Ids are snake_case, so a model cannot leave one empty or write a sentence where an id goes."""
_ID: Final[Schema] = {"maxLength": 48, "pattern": ID_PATTERN}

STRINGS: Final[Mapping[str, Schema]] = {
    "id": _ID,
    "node_id": _ID,
    "to": _ID,
    "start_node": _ID,
    "session_character_id": _ID,
    "key": _ID,
    "character": {"maxLength": 48},
    "title": {"minLength": 1, "maxLength": 60},
    "display_name": {"minLength": 1, "maxLength": 60},
    "goal": {"minLength": 1, "maxLength": 160},
    "scene": {"minLength": 1, "maxLength": 300},
    "personality": {"maxLength": 120},
    "style": {"maxLength": 80},
    "system_prompt": {"maxLength": 160},
    "description": {"maxLength": 120},
    "section_summary": {"minLength": 1, "maxLength": 160},
    "introduction": {"minLength": 1, "maxLength": 400},
    "text": {"minLength": 1, "maxLength": 200},
}
"""What a string must be, by field name: bounded so that a small model cannot run on inside a
value; fields not listed are any string."""

KEEPER_MAX_OPS: Final = 6
DIRECTOR_MAX_BEATS: Final = 4
DIRECTOR_MAX_ROLE_ACTIONS: Final = 1
ARCHITECT_MAX_NODES: Final = 4
"""The prompt asks for about 4 nodes per section (`target_node_count`)."""
ARCHITECT_MAX_TRANSITIONS: Final = 2
ARCHITECT_MAX_UPDATES: Final = 2
STATE_STRING_CHARS: Final = 120
"""The longest string value the Keeper may write into a string variable."""

_SCALAR_ITEMS: Final[Schema] = {"anyOf": [{"type": name} for name in SCALAR_TYPES]}


def one_of_strings(values: Sequence[str]) -> Schema:
    return {"type": "string", **enum_schema(values)}


# -- Keeper -------------------------------------------------------------------------------


def keeper_schema(declared: DeclaredFields, cast_ids: Collection[str]) -> Schema:
    """`{"ops": [...]}` where each op writes a declared key with a value of its field's type,
    names only characters of `cast_ids`, and never moves the story (no SetCurrentNode)."""
    characters = sorted(cast_ids)
    members = variable_op_members(declared, cast_ids)
    members[SetCurrentNode] = []
    if characters:
        who = one_of_strings(characters)
        members[AddActiveCharacter] = [_branch(AddActiveCharacter, character=who)]
        members[RemoveActiveCharacter] = [_branch(RemoveActiveCharacter, character=who)]
        members[SetActiveCharacters] = [
            _branch(SetActiveCharacters, characters=array_schema(who, max_items=len(characters)))
        ]
    else:
        members.update(_NO_CAST_OPS)
    schema = record_schema(StateUpdate, Tightening(members=members))
    schema["properties"]["ops"]["maxItems"] = KEEPER_MAX_OPS
    return schema


def variable_op_members(declared: DeclaredFields, cast_ids: Collection[str]) -> dict[type, list[Schema]]:
    """The six variable ops as branches: one Set branch per declared key (its value typed by its
    field), one Remove branch per scope (its key one of the declared keys)."""
    characters = [character for character in sorted(declared.characters) if character in cast_ids]
    return {
        SetState: [_set_branch(SetState, key, field) for key, field in sorted(declared.world.items())],
        RemoveState: _remove_branches(RemoveState, {}, declared.world),
        SetPlayerState: [_set_branch(SetPlayerState, key, field) for key, field in sorted(declared.player.items())],
        RemovePlayerState: _remove_branches(RemovePlayerState, {}, declared.player),
        SetCharacterState: [
            _set_branch(SetCharacterState, key, field, character=character)
            for character in characters
            for key, field in sorted(declared.characters[character].items())
        ],
        RemoveCharacterState: [
            branch
            for character in characters
            for branch in _remove_branches(
                RemoveCharacterState, {"character": one_of_strings([character])}, declared.characters[character]
            )
        ],
    }


def state_value_schema(field: StateFieldSchema) -> Schema:
    """What a Set op may write into `field`: its type, and one of its enum values when it has them."""
    schema = _VALUE_TYPES[field.value_type]
    if field.enum_values and field.value_type is not ValueType.ARRAY:
        return {**{k: v for k, v in schema.items() if k != "maxLength"}, **enum_schema(field.enum_values)}
    return dict(schema)


_VALUE_TYPES: Final[Mapping[ValueType, Schema]] = {
    ValueType.BOOL: {"type": "boolean"},
    ValueType.INT: INTEGER,
    ValueType.FLOAT: {"type": "number"},
    ValueType.STRING: {"type": "string", "maxLength": STATE_STRING_CHARS},
    ValueType.ARRAY: array_schema(_SCALAR_ITEMS),
    ValueType.OBJECT: {"type": "object"},  # a free object: such a schema is sent without `strict`
    ValueType.NULL: NULL,
}


def _branch(member: type, **fields: Schema) -> Schema:
    return tagged_branch(member, Tightening(fields={(member, name): schema for name, schema in fields.items()}))


def _set_branch(member: type, key: str, field: StateFieldSchema, **character: str) -> Schema:
    fields = {"key": one_of_strings([key]), "value": state_value_schema(field)}
    fields.update({name: one_of_strings([value]) for name, value in character.items()})
    return _branch(member, **fields)


def _remove_branches(member: type, fixed: Mapping[str, Schema], fields: Mapping[str, Any]) -> list[Schema]:
    if not fields:
        return []
    return [_branch(member, key=one_of_strings(sorted(fields)), **fixed)]


# -- Director ----------------------------------------------------------------------------


def director_schema(speaker_ids: Sequence[str]) -> Schema:
    """A ResponsePlan whose Actor beats name only `speaker_ids` (the characters present with a
    card); without any, only Narrator beats can be planned."""
    actor_beats = [_branch(ActorBeat, speaker_id=one_of_strings(speaker_ids))] if speaker_ids else []
    tightening = Tightening(
        members={
            ActorBeat: actor_beats,
            CreateAndEnter: [_director_branch(CreateAndEnter)],
            LeaveScene: [_director_branch(LeaveScene)],
        },
        strings=STRINGS,
    )
    schema = record_schema(ResponsePlan, tightening)
    schema["properties"]["beats"].update(minItems=1, maxItems=DIRECTOR_MAX_BEATS)
    schema["properties"]["role_actions"]["maxItems"] = DIRECTOR_MAX_ROLE_ACTIONS
    return schema


def _director_branch(member: type) -> Schema:
    return tagged_branch(member, Tightening(strings=STRINGS))


# -- Replyer -----------------------------------------------------------------------------


def replyer_schema(output_type: type, limit: int) -> Schema:
    """The Replyer's `{"replies": [...]}` with one to `limit` items."""
    schema = record_schema(output_type, Tightening(strings=STRINGS))
    schema["properties"]["replies"].update(minItems=1, maxItems=limit)
    return schema


# -- Architect ---------------------------------------------------------------------------


@attrs.frozen
class ArchitectKnowledge:
    """What an Architect call knows before it is made: the draft's node ids (none at its start),
    the cast, and (when continuing) the fixed world and player schemas with the cast's own."""

    existing_ids: Sequence[str] = ()
    cast_ids: Sequence[str] = ()
    declared: DeclaredFields | None = None


_ONLY_WHEN_STARTING: Final = ("start_node", "world_state_schema", "player_state_schema", "introduction")


def architect_schema(mode: ArchitectMode, known: ArchitectKnowledge) -> Schema:
    """The bundle of `mode` (§14.8): required keys non-null, node characters from the cast, only
    variable ops on entering a node, bounded node and transition counts. With fixed schemas
    (continuing), conditions and updates name declared keys with values of their types."""
    who = one_of_strings(known.cast_ids) if known.cast_ids else None
    fields: dict[tuple[type, str], Schema] = {
        (NarrativeNode, "characters"): array_schema(NULL, max_items=0)
        if who is None
        else array_schema(who, max_items=len(known.cast_ids)),
        (Condition, "character"): NULL if who is None else {"anyOf": [who, NULL]},
    }
    members: dict[type, list[Schema]] = {SetCurrentNode: [], **_NO_CAST_OPS}
    if known.declared is not None:
        members.update(variable_op_members(known.declared, known.cast_ids))
        fields[(Transition, "condition")] = {"anyOf": [*_condition_branches(known.declared), NULL]}
    tightening = Tightening(fields=fields, members=members, strings=STRINGS)
    if mode is ArchitectMode.GRAPH:
        schema = record_schema(_GraphOutput, tightening)
        return _bounded_nodes(schema["properties"]["graph"], schema)
    if known.existing_ids:
        fields[(NodeTransitionPatch, "node_id")] = one_of_strings(known.existing_ids)
    for name in ("section_summary", *(_ONLY_WHEN_STARTING if mode is ArchitectMode.DRAFT_INIT else ())):
        fields[(_DraftOutput, name)] = _required_part(name)
    schema = record_schema(_DraftOutput, tightening)
    properties = schema["properties"]
    if mode is ArchitectMode.DRAFT_CONTINUE:
        for name in _ONLY_WHEN_STARTING:
            del properties[name]
        schema["required"] = list(properties)
    else:
        # Nothing exists before the first chunk: a patch could only name a node of the same
        # answer, which that node's own transitions already say.
        properties["transition_patches"] = array_schema(NULL, max_items=0)
    return _bounded_nodes(schema, schema)


def _bounded_nodes(holder: Schema, schema: Schema) -> Schema:
    nodes = holder["properties"]["nodes"]
    nodes.update(minItems=1, maxItems=ARCHITECT_MAX_NODES)
    node = nodes["items"]["properties"]
    node["transitions"]["maxItems"] = ARCHITECT_MAX_TRANSITIONS
    node["on_enter_updates"]["maxItems"] = ARCHITECT_MAX_UPDATES
    return schema


def _required_part(name: str) -> Schema:
    if name.endswith("_schema"):
        return record_schema(StateSchema, Tightening(strings=STRINGS))
    return {"type": "string", **STRINGS[name]}


def _condition_branches(declared: DeclaredFields) -> list[Schema]:
    """One condition schema per declared variable: its scope, key (and character) fixed, its
    value typed by the field."""
    scoped = [
        *((ConditionScope.GLOBAL, None, key, field) for key, field in sorted(declared.world.items())),
        *((ConditionScope.PLAYER, None, key, field) for key, field in sorted(declared.player.items())),
        *(
            (ConditionScope.CHARACTER, character, key, field)
            for character, fields in sorted(declared.characters.items())
            for key, field in sorted(fields.items())
        ),
    ]
    return [
        record_schema(
            Condition,
            Tightening(
                fields={
                    (Condition, "scope"): one_of_strings([scope.value]),
                    (Condition, "key"): one_of_strings([key]),
                    (Condition, "character"): NULL if character is None else one_of_strings([character]),
                    (Condition, "value"): state_value_schema(field),
                }
            ),
        )
        for scope, character, key, field in scoped
    ]


_NO_CAST_OPS: Final[dict[type, list[Schema]]] = {
    AddActiveCharacter: [],
    RemoveActiveCharacter: [],
    SetActiveCharacters: [],
}
"""No op that changes who is present (Keeper without a cast; Architect's on_enter_updates, §14.8)."""

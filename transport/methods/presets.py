"""Registrations of `preset.*`, `preset_entry.*` and `preset_preview.*`."""

from __future__ import annotations

from runtime.model import presets as model
from runtime.services import presets, previews, runtime_previews
from transport.registry import Call, Method, NoParams, SessionUse, forward, forward_without_params


async def _preview_runtime(call: Call, params: model.PromptPreviewParams) -> model.PromptPreview:
    """The prompt an agent would get now, compiled with a session's or a story's real data."""
    return await runtime_previews.preview_runtime(call.services, params, call.session_id)


METHODS = [
    Method("preset.create", model.PresetCreateParams, "preset", model.Preset, forward(presets.create_preset)),
    Method("preset.get", model.PresetIdParams, "preset", model.Preset, forward(presets.get_preset)),
    Method(
        "preset.list", NoParams, "presets_listed", model.PresetsListed, forward_without_params(presets.list_presets)
    ),
    Method("preset.update", model.PresetUpdateParams, "preset", model.Preset, forward(presets.update_preset)),
    Method(
        "preset.delete", model.PresetIdParams, "preset_deleted", model.PresetDeleted, forward(presets.delete_preset)
    ),
    Method(
        "preset_entry.create",
        model.PresetEntryCreateParams,
        "preset_entry",
        model.PresetEntryPayload,
        forward(presets.create_preset_entry),
    ),
    Method(
        "preset_entry.update",
        model.PresetEntryUpdateParams,
        "preset_entry",
        model.PresetEntryPayload,
        forward(presets.update_preset_entry),
    ),
    Method(
        "preset_entry.delete",
        model.PresetEntryDeleteParams,
        "preset_entry_deleted",
        model.PresetEntryDeleted,
        forward(presets.delete_preset_entry),
    ),
    Method(
        "preset_preview.template",
        model.PromptPreviewParams,
        "preset_prompt_preview",
        model.PromptPreview,
        forward(previews.preview_template),
    ),
    Method(
        "preset_preview.runtime",
        model.PromptPreviewParams,
        "preset_prompt_preview",
        model.PromptPreview,
        _preview_runtime,
        session=SessionUse.OPTIONAL,
    ),
]

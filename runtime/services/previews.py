"""Compiled prompt previews: `preset_preview.template` (PROTOCOL §6.7).

The template preview compiles the stored preset without any context: every context
reference is shown as `<context:KEY>` and listed as unresolved.
"""

from __future__ import annotations

from runtime.model.presets import PreviewKind, PromptPreview, PromptPreviewParams
from runtime.presets import build_preview, check_architect_mode, compile_template
from runtime.services._services import Services
from runtime.services._validation import require_id
from runtime.store.presets import read_preset


async def preview_template(services: Services, params: PromptPreviewParams) -> PromptPreview:
    """The whole prompt, or one module, of an agent of a stored preset, with placeholders.

    Raises InvalidParams for a missing/forbidden `architect_mode` or a module that contributes
    nothing, NotFound for an unknown preset or module. Changes nothing.
    """
    preset_id = require_id(params.preset_id, "preset_id")
    check_architect_mode(params.agent, params.architect_mode)
    module_id = None if params.module_id is None else params.module_id.strip()
    preset = await services.store.read(lambda cursor: read_preset(cursor, preset_id))
    config = preset.agents.for_agent(params.agent)
    prompt = compile_template(config, params.agent, params.architect_mode)
    return build_preview(
        preset_id=preset_id, config=config, prompt=prompt, kind=PreviewKind.TEMPLATE, module_id=module_id
    )

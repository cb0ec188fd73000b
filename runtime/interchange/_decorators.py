"""CCv3 lorebook decorators: the `@@name value` lines at the start of an entry's content.

A fallback decorator has three `@` (`@@@name value`) and follows the one it stands in for.
`decorator_names` lists the names an entry uses, `strip_decorators` gives the content without
them (what a V2 card carries, since V2 readers would insert the lines verbatim). Pure.
"""

from __future__ import annotations

DECORATOR_PREFIX = "@@"
CCV3_DECORATORS = frozenset(
    {
        "activate_only_after",
        "activate_only_every",
        "keep_activate_after_match",
        "dont_activate_after_match",
        "depth",
        "instruct_depth",
        "reverse_depth",
        "reverse_instruct_depth",
        "role",
        "scan_depth",
        "instruct_scan_depth",
        "is_greeting",
        "position",
        "ignore_on_max_context",
        "additional_keys",
        "exclude_keys",
        "is_user_icon",
        "dont_activate",
        "activate",
        "disable_ui_prompt",
    }
)
"""The decorators the CCv3 specification defines."""


def _split(content: str) -> tuple[list[str], str]:
    """The leading decorator lines and the rest of the content."""
    lines = content.split("\n")
    count = 0
    while count < len(lines) and lines[count].lstrip().startswith(DECORATOR_PREFIX):
        count += 1
    return lines[:count], "\n".join(lines[count:])


def decorator_names(content: str) -> list[str]:
    """The names of the decorators at the start of `content`, fallbacks included, in order."""
    found, _ = _split(content)
    return [line.strip().lstrip("@").split(None, 1)[0] for line in found if line.strip().lstrip("@")]


def strip_decorators(content: str) -> str:
    """`content` without its leading decorator lines and the blank lines right after them."""
    found, rest = _split(content)
    return rest.lstrip("\n") if found else content

"""CCv3 lorebook decorators: the `@@name value` lines at the start of an entry's content, and
what Dramaturg does with each.

A fallback decorator has three `@` (`@@@name value`) and follows the one it stands in for: it
counts only when the decorator before it did not apply. Of two decorators with one name the
first counts. `split_decorators` separates the lines from the text (and can put them back
around a new text), `apply_decorators` applies those the engine has an equivalent for to an
entry's fields and says what became of every line. `strip_decorators` gives the content
without them (what a V2 card carries, since V2 readers would insert the lines verbatim). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from runtime.model.cards import FieldOutcome
from runtime.model.lorebooks import LorePosition, LoreRole, SecondaryLogic

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


@attrs.frozen
class Decorator:
    name: str
    value: str  # the text after the name, trimmed ("" for a decorator without a value)
    fallback: bool  # written `@@@name`


@attrs.frozen
class DecoratedContent:
    """An entry's content cut in two: its decorator lines and its text. `separator` is what
    stood between them (the line break after the last decorator and any blank lines)."""

    lines: tuple[str, ...]
    separator: str
    text: str

    @property
    def decorators(self) -> list[Decorator]:
        return [_decorator(line) for line in self.lines]

    def with_text(self, text: str, dropped: frozenset[int] = frozenset()) -> str:
        """The content with `text` after the decorator lines, less the lines at `dropped`."""
        kept = [line for index, line in enumerate(self.lines) if index not in dropped]
        if not kept:
            return text
        separator = self.separator or ("\n" if text else "")
        return "\n".join(kept) + separator + text


def split_decorators(content: str) -> DecoratedContent:
    lines = content.split("\n")
    count = 0
    while count < len(lines) and lines[count].lstrip().startswith(DECORATOR_PREFIX):
        count += 1
    if count == 0:
        return DecoratedContent((), "", content)
    rest = "\n".join(lines[count:])
    text = rest.lstrip("\n")
    separator = "\n" + rest[: len(rest) - len(text)] if count < len(lines) else ""
    return DecoratedContent(tuple(lines[:count]), separator, text)


def _decorator(line: str) -> Decorator:
    stripped = line.strip()
    fallback = stripped.startswith("@@@")
    name, _, value = stripped.lstrip("@").partition(" ")
    return Decorator(name.strip(), value.strip(), fallback)


def decorator_names(content: str) -> list[str]:
    """The names of the decorators at the start of `content`, fallbacks included, in order."""
    return [decorator.name for decorator in split_decorators(content).decorators if decorator.name]


def strip_decorators(content: str) -> str:
    """`content` without its leading decorator lines and the blank lines right after them."""
    return split_decorators(content).text


# -- applying them ---------------------------------------------------------------------------


@attrs.frozen
class DecoratorOutcome:
    """What became of one decorator line: applied (`MAPPED` to `targets`), `KEPT` in the
    content without effect, or `IGNORED` (a fallback not needed, a repeated name)."""

    index: int
    decorator: Decorator
    outcome: FieldOutcome
    note: str
    targets: tuple[str, ...] = ()

    @property
    def unknown(self) -> bool:
        return self.decorator.name not in CCV3_DECORATORS


Applied = dict[str, Any]  # Dramaturg field → value, when the decorator applies
Decision = Applied | str  # … or why it does not


def apply_decorators(
    decorators: Sequence[Decorator], fields: dict[str, Any], allowed: frozenset[str] | None = None
) -> list[DecoratorOutcome]:
    """Apply `decorators` to an entry's `fields` (Dramaturg field → value, changed in place);
    `allowed` limits them to those the source tool applies (None: every one Dramaturg can)."""
    names = {decorator.name for decorator in decorators if not decorator.fallback}
    applied: set[str] = set()
    outcomes: list[DecoratorOutcome] = []
    previous_applied = False
    for index, decorator in enumerate(decorators):
        if decorator.fallback and previous_applied:
            note = "a fallback; the decorator before it applied"
            outcomes.append(DecoratorOutcome(index, decorator, FieldOutcome.IGNORED, note))
            continue
        if decorator.name in applied:
            note = "repeated: the first decorator of this name counts"
            outcomes.append(DecoratorOutcome(index, decorator, FieldOutcome.IGNORED, note))
            previous_applied = False
            continue
        decision = _decide(decorator, fields, names, allowed)
        previous_applied = isinstance(decision, dict)
        if isinstance(decision, dict):
            applied.add(decorator.name)
            fields.update(decision)
            note = "applied; kept in the content for export, left out of the inserted text"
            outcomes.append(DecoratorOutcome(index, decorator, FieldOutcome.MAPPED, note, tuple(decision)))
        else:
            outcomes.append(DecoratorOutcome(index, decorator, FieldOutcome.KEPT, f"not applied: {decision}; kept"))
    return outcomes


def _decide(decorator: Decorator, fields: dict[str, Any], names: set[str], allowed: frozenset[str] | None) -> Decision:
    if decorator.name not in CCV3_DECORATORS:
        return "not a CCv3 decorator"
    if allowed is not None and decorator.name not in allowed:
        return "the tool that writes this format does not apply it"
    rule = _RULES.get(decorator.name)
    if rule is None:
        return "Dramaturg has no equivalent"
    return rule(decorator.value, fields, names)


def _count(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _number_rule(*targets: str, extra: Applied | None = None) -> Callable[[str, dict[str, Any], set[str]], Decision]:
    def decide(value: str, fields: dict[str, Any], names: set[str]) -> Decision:
        number = _count(value)
        if number is None:
            return f"{value!r} is not a whole number"
        return {**dict.fromkeys(targets, number), **(extra or {})}

    return decide


def _keys_rule(logic: SecondaryLogic) -> Callable[[str, dict[str, Any], set[str]], Decision]:
    def decide(value: str, fields: dict[str, Any], names: set[str]) -> Decision:
        keys = [part.strip() for part in value.split(",") if part.strip()]
        if not keys:
            return "no keys given"
        if fields.get("secondary_keywords"):
            return "the entry has secondary keys of its own, and Dramaturg follows one list"
        return {"secondary_keywords": keys, "secondary_logic": logic, "selective": True}

    return decide


def _role(value: str, fields: dict[str, Any], names: set[str]) -> Decision:
    try:
        return {"role": LoreRole(value.strip().lower())}
    except ValueError:
        return f"{value!r} is not system, user or assistant"


def _dont_activate(value: str, fields: dict[str, Any], names: set[str]) -> Decision:
    return "@@activate is present and wins" if "activate" in names else {"enabled": False}


_RULES: dict[str, Callable[[str, dict[str, Any], set[str]], Decision]] = {
    "activate": lambda value, fields, names: {"always_include": True},
    "dont_activate": _dont_activate,
    "depth": _number_rule("depth", extra={"position": LorePosition.AT_DEPTH}),
    "role": _role,
    "scan_depth": _number_rule("scan_depth"),
    "activate_only_after": _number_rule("delay"),
    "additional_keys": _keys_rule(SecondaryLogic.AND_ANY),
    "exclude_keys": _keys_rule(SecondaryLogic.NOT_ANY),
}
"""The decorators the engine can follow. `@@activate_only_after n` becomes a delay of n turns
(CCv3 counts the character's messages: one per turn)."""

"""Collecting an import report's lines: one per field of the card, plus warnings."""

from __future__ import annotations

from typing import Any

import attrs

from runtime.model.cards import CardFieldReport, FieldOutcome, ImportWarning, ImportWarningCode


@attrs.define
class ReportLines:
    """The field lines and warnings of one import, in the order they were found."""

    fields: list[CardFieldReport] = attrs.Factory(list)
    warnings: list[ImportWarning] = attrs.Factory(list)

    def mapped(self, field: str, target: str, note: str | None = None) -> None:
        self.fields.append(CardFieldReport(field, FieldOutcome.MAPPED, target=target, note=note))

    def defaulted(self, field: str, value: Any, note: str, target: str | None = None) -> None:
        self.fields.append(CardFieldReport(field, FieldOutcome.DEFAULTED, target=target, value=value, note=note))

    def kept(self, field: str, note: str) -> None:
        self.fields.append(CardFieldReport(field, FieldOutcome.KEPT, note=note))

    def ignored(self, field: str, note: str) -> None:
        self.fields.append(CardFieldReport(field, FieldOutcome.IGNORED, note=note))

    def warn(self, code: ImportWarningCode, message: str) -> None:
        self.warnings.append(ImportWarning(code, message))

    def extend(self, other: ReportLines) -> None:
        self.fields.extend(other.fields)
        self.warnings.extend(other.warnings)

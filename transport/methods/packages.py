"""Registrations of `data_package.*`. The archives themselves use the binary routes (`transport.files`)."""

from __future__ import annotations

from runtime.model import packages as model
from runtime.services import packages
from transport.registry import Method, NoParams, forward, forward_without_params

METHODS = [
    Method(
        "data_package.export_prepare",
        model.ExportPrepareParams,
        "data_package_export_prepared",
        model.ExportPrepared,
        forward(packages.export_prepare),
    ),
    Method(
        "data_package.import_prepare",
        NoParams,
        "data_package_import_prepared",
        model.ImportPrepared,
        forward_without_params(packages.import_prepare),
    ),
    Method(
        "data_package.import_commit",
        model.ImportCommitParams,
        "data_package_import_committed",
        model.ImportCommitted,
        forward(packages.import_commit),
    ),
]

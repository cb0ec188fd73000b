"""Registrations of `config.get_global` and `dashboard.get`."""

from __future__ import annotations

from runtime.model import overview as model
from runtime.services import overview
from transport.registry import Method, NoParams, forward_without_params

METHODS = [
    Method(
        "config.get_global",
        NoParams,
        "global_config",
        model.GlobalConfig,
        forward_without_params(overview.get_global_config),
    ),
    Method("dashboard.get", NoParams, "dashboard", model.Dashboard, forward_without_params(overview.get_dashboard)),
]

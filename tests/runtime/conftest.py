"""Fixtures shared by the runtime tests."""

from tests.runtime.turn_rig import turn_rig as turn_rig

"""Dramaturg's domain: records, rules, storage and agents, with no network socket of its own."""

"""Attrs records for every resource, payload and event that travels on the wire or is stored."""

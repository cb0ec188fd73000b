"""Test support: a real server on a loopback port and an HTTP client that speaks its protocol."""

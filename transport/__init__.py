"""The wire: JSON-RPC over HTTP, SSE framing, binary routes, the static client and the CLI."""

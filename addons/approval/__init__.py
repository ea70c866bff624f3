"""Approvals: calls held (or queued) until a person decides (no mitmproxy imports)."""

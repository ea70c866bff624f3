"""Configuration files other than rules (no mitmproxy imports)."""

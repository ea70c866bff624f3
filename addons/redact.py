"""redact: mask secret and sensitive fields in responses (filled by the redaction issue)."""

from __future__ import annotations

from mitmproxy import http

from .flowrecord import fail_closed, record


class Redact:
    @fail_closed
    def response(self, flow: http.HTTPFlow) -> None:
        record(flow).setdefault("redactions", [])

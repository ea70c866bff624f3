"""record: dump files and the audit log (filled by the recording issue)."""

from __future__ import annotations

from mitmproxy import http

from .flowrecord import record


class Record:
    def response(self, flow: http.HTTPFlow) -> None:
        record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        record(flow)

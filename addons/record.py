"""record: dump files and the audit log (the recording issue fills this in)."""

from __future__ import annotations

from mitmproxy import http

from .flowrecord import record


class Record:
    def load(self, loader) -> None:
        loader.add_option(
            "chaperone_recordings", str, "recordings",
            "Where the session dump files and the audit log go.",
        )

    def response(self, flow: http.HTTPFlow) -> None:
        record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        record(flow)

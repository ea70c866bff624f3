"""classify: what AWS call each flow is (and, with agents configured, who made it)."""

from __future__ import annotations

from mitmproxy import http

from .aws.classifier import classify_request
from .aws.request import Request
from .flowrecord import fail_closed, handled, record


def request_of(flow: http.HTTPFlow) -> Request:
    """The flow's request as the pure classifier reads it, whatever the proxy mode."""
    req = flow.request
    content = req.get_content(strict=False) or b""
    return Request.build(
        req.method, f"https://{req.pretty_host}{req.path}", req.headers, content
    )


class Classify:
    @fail_closed
    def request(self, flow: http.HTTPFlow) -> None:
        if handled(flow):
            return
        call = classify_request(request_of(flow))
        rec = record(flow)
        if call is None:
            rec["aws"] = False
            return
        rec["aws"] = True
        rec["call"] = call.to_record()
        flow.comment = _summary(call)


def _summary(call) -> str:
    if call.operation:
        return f"{call.service}:{call.operation} {call.region}"
    return f"unidentified AWS call: {call.unknown_reason}"

"""The per-flow record every addon writes to, and the fail-closed answer.

Everything chaperone learns about a flow lives in `flow.metadata["chaperone"]`
as JSON-serialisable data, so it travels into dump files and shows in mitmweb.
"""

from __future__ import annotations

import functools
import inspect
import logging
import traceback

from mitmproxy import http

from .aws import models
from .aws.errors import ErrorResponse, error_response, guess_protocol

KEY = "chaperone"
log = logging.getLogger("chaperone")


def record(flow: http.HTTPFlow) -> dict:
    return flow.metadata.setdefault(KEY, {})


def where(flow: http.HTTPFlow) -> str:
    """The request for log lines: method, host and path, never the query
    (a presigned URL's query holds credentials)."""
    return f"{flow.request.method} {flow.request.pretty_host}{flow.request.path.split('?', 1)[0]}"


def handled(flow: http.HTTPFlow) -> bool:
    """True when an earlier addon (or mitmproxy) already answered, refused or killed the flow."""
    return (
        flow.response is not None or flow.error is not None or not flow.live
        or "refused" in flow.metadata.get(KEY, {})
    )


def is_streamed(flow: http.HTTPFlow) -> bool:
    """An upload that streams: the pipeline ran on its headers, before the body."""
    return bool(flow.metadata.get(KEY, {}).get("streamed"))


def answer_error(flow: http.HTTPFlow, code: str, message: str, status: int = 403) -> None:
    """Answer the flow with a native AWS error for the call's protocol."""
    err = native_error(flow, code, message, status)
    flow.response = http.Response.make(err.status, err.body, err.headers)
    record(flow)["answered_by_gateway"] = {"status": status, "code": code, "message": message}


def native_error(flow: http.HTTPFlow, code: str, message: str, status: int = 403) -> ErrorResponse:
    """The error as the service's protocol carries it (guessed when the call is unknown)."""
    call = record(flow).get("call") or {}
    protocol = call.get("protocol")
    json_version, query_compatible = "1.1", False
    if call.get("service"):
        meta = models.service_model(call["service"]).metadata
        json_version = meta.get("jsonVersion", "1.1")
        query_compatible = "awsQueryCompatible" in meta
    if not protocol:
        headers = {k.lower(): v for k, v in flow.request.headers.items()}
        protocol = guess_protocol(flow.request.pretty_host, headers, flow.request.path)
    return error_response(
        protocol, code, message, status=status, json_version=json_version,
        query_compatible=query_compatible, head=flow.request.method == "HEAD",
    )


def fail_closed(hook):
    """Any exception in a hook answers the flow with an error instead of letting it through."""

    @functools.wraps(hook)
    def wrapper(self, flow):
        try:
            return hook(self, flow)
        except Exception as e:  # noqa: BLE001 - fail closed on anything
            _fail(flow, hook, e)

    @functools.wraps(hook)
    async def async_wrapper(self, flow):
        try:
            return await hook(self, flow)
        except Exception as e:  # noqa: BLE001 - fail closed on anything
            _fail(flow, hook, e)

    return async_wrapper if inspect.iscoroutinefunction(hook) else wrapper


def _fail(flow, hook, exc: Exception) -> None:
    log.error(
        "chaperone: %s failed on %s: %s\n%s", hook.__qualname__, where(flow),
        exc, "".join(traceback.format_exception(exc)[-3:]),
    )
    record(flow).setdefault("errors", []).append(f"{hook.__qualname__}: {type(exc).__name__}: {exc}")
    if flow.live and flow.response is None:
        answer_error(flow, "InternalFailure", "The chaperone gateway failed on this request; it was not sent.", 500)
    elif flow.response is not None and hook.__name__ == "response":
        # A failure after AWS answered: the response may hold what redaction missed.
        flow.response = http.Response.make(
            500, b"chaperone gateway error", {"Content-Type": "text/plain"}
        )


class RequestStage:
    """A request-side step of the pipeline. It runs at `requestheaders` for an
    upload that streams (its body must not be waited for) and at `request`
    for everything else; a flow already answered or killed is left alone."""

    async def process(self, flow: http.HTTPFlow) -> None:
        raise NotImplementedError

    @fail_closed
    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        if is_streamed(flow) and not handled(flow):
            await self.process(flow)

    @fail_closed
    async def request(self, flow: http.HTTPFlow) -> None:
        if not handled(flow) and not is_streamed(flow):
            await self.process(flow)

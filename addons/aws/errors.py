"""AWS errors in each protocol's native wire format, so SDKs raise their
ordinary exception (botocore's ClientError) with our code and message."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from . import cbor, models


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def request_id() -> str:
    return str(uuid.uuid4())


def error_response(
    protocol: str,
    code: str,
    message: str,
    *,
    status: int = 403,
    rid: str | None = None,
    json_version: str = "1.1",
    query_compatible: bool = False,
    head: bool = False,
) -> ErrorResponse:
    """The error as `protocol` carries it. `head` answers a HEAD request (no body)."""
    rid = rid or request_id()
    headers = {"x-amzn-RequestId": rid, "x-amz-request-id": rid}
    if protocol in ("json", "rest-json"):
        headers["Content-Type"] = (
            f"application/x-amz-json-{json_version}" if protocol == "json" else "application/json"
        )
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    elif protocol == "smithy-rpc-v2-cbor":
        headers["Content-Type"] = "application/cbor"
        headers["smithy-protocol"] = "rpc-v2-cbor"
        body = cbor.encode({"__type": code, "message": message})
    elif protocol == "ec2":
        headers["Content-Type"] = "text/xml;charset=UTF-8"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        ).encode()
    elif protocol == "query":
        headers["Content-Type"] = "text/xml"
        body = (
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            f"<Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
    else:  # rest-xml, and the S3 form for anything we cannot place
        headers["Content-Type"] = "application/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{rid}</RequestId></Error>"
        ).encode()
    if query_compatible:
        headers["x-amzn-query-error"] = f"{code};Sender"
    if head:
        body = b""
    return ErrorResponse(status, headers, body)


def guess_protocol(host: str, headers: dict[str, str], path: str) -> str:
    """A protocol for a request we could not identify, from its look alone."""
    if headers.get("smithy-protocol") == "rpc-v2-cbor" or path.startswith("/service/"):
        return "smithy-rpc-v2-cbor"
    if "x-amz-target" in headers:
        return "json"
    if "x-www-form-urlencoded" in headers.get("content-type", ""):
        return "query"
    if ".s3" in f".{host}" or "json" not in headers.get("content-type", "json"):
        return "rest-xml"
    return "rest-json"


@lru_cache(maxsize=512)
def access_denied_code(service: str) -> str:
    """AccessDenied or AccessDeniedException for a service ("" when unknown):
    what its model names, else what its protocol family uses (JSON services
    say AccessDeniedException, query services and those that left query for
    JSON say AccessDenied)."""
    if not service:
        return "AccessDenied"
    model = models.service_model(service)
    names = model.shape_names
    for code in ("AccessDeniedException", "AccessDenied"):
        if code in names:
            return code
    meta = model.metadata
    json_like = meta.get("protocol") in ("json", "rest-json", "smithy-rpc-v2-cbor")
    # Services that moved from query to JSON/CBOR keep their query error codes.
    return "AccessDeniedException" if json_like and "awsQueryCompatible" not in meta else "AccessDenied"

"""The classified call: what the classifier learnt about one intercepted request."""

from __future__ import annotations

import base64
import datetime
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Call:
    """One intercepted AWS call.

    `service` is botocore's service name (``s3``, ``dynamodb``); it is empty when
    the host is an AWS host but the service could not be worked out. `operation`
    is None when the call could not be identified; `unknown_reason` then says why.
    """

    host: str
    service: str = ""
    signing_name: str = ""
    operation: str | None = None
    protocol: str = ""
    region: str = ""
    partition: str = "aws"
    access_key: str | None = None
    auth: str = "none"  # "header" | "query" | "none"
    params: dict[str, Any] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)
    read_only: bool = False
    unknown_reason: str | None = None

    @property
    def identified(self) -> bool:
        return self.operation is not None

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable dict, the form kept in the per-flow record."""
        record = asdict(self)
        record["params"] = jsonable(self.params)
        return record


def jsonable(value: Any) -> Any:
    """Parameters as JSON: blobs become base64 text, timestamps ISO 8601 text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value

"""Runs AWS's protocol compliance cases (../shared/protocol-tests) through
`route` and `parse_params`. Used by tests/test_protocol_compliance.py and by
scripts/protocol_tests.py, which prints the tally."""

from __future__ import annotations

import base64
import datetime
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from botocore.model import ServiceModel

from addons.aws import parse_params, route

ROOT = Path(os.environ.get("CHAPERONE_PROTOCOL_TESTS", Path(__file__).resolve().parents[2] / "shared" / "protocol-tests"))


@dataclass
class Outcome:
    file: str
    case: str
    ok: bool
    detail: str = ""


def normalise(value):
    """Comparable form. Empty lists and maps count as absent: on the wire
    most protocols send nothing for them, so no parser can tell them apart."""
    if isinstance(value, dict):
        out = {k: normalise(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != [] and v != {}}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, datetime.datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return round(value, 3) if value != int(value) else int(value)
    if isinstance(value, bool):
        return value
    return value


def ignored() -> set[str]:
    data = json.loads((ROOT / "protocol-tests-ignore-list.json").read_text())
    out = set()
    for proto in data.get("protocols", {}).values():
        out.update(proto.get("input", {}).get("cases", []))
    return out


def ignored_suites() -> set[str]:
    data = json.loads((ROOT / "protocol-tests-ignore-list.json").read_text())
    return set(data.get("general", {}).get("input", {}).get("suites", []))


def run_case(suite: dict, case: dict, fname: str) -> Outcome:
    meta = dict(suite["metadata"])
    name = case["given"]["name"]
    model = ServiceModel(
        {"metadata": meta, "shapes": suite["shapes"], "operations": {name: case["given"]}},
        service_name="protocoltest",
    )
    ser = case["serialized"]
    body = ser.get("body", "")
    if meta.get("protocol") == "smithy-rpc-v2-cbor" or "smithy-rpc-v2-cbor" in meta.get("protocols", []):
        if "cbor" in ser.get("headers", {}).get("Content-Type", "") or ser.get("headers", {}).get("smithy-protocol"):
            body = base64.b64decode(body) if body else b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    host = ser.get("host", "example.amazonaws.com")
    url = "https://" + host + ser["uri"]
    headers = dict(ser.get("headers", {}))
    try:
        op = route(model, ser["method"], url, headers, body)
        if op is None or op.name != name:
            return Outcome(fname, case["id"], False, f"routed to {op and op.name}")
        params = parse_params(op, ser["method"], url, headers, body)
    except Exception as e:  # noqa: BLE001 - report every failure kind
        return Outcome(fname, case["id"], False, f"{type(e).__name__}: {e}")
    got, want = normalise(params), normalise(case.get("params", {}))
    if got != want:
        return Outcome(fname, case["id"], False, f"got {json.dumps(got, default=str)[:300]} want {json.dumps(want, default=str)[:300]}")
    return Outcome(fname, case["id"], True)


def run_all() -> list[Outcome]:
    skip, skip_suites = ignored(), ignored_suites()
    out = []
    for path in sorted((ROOT / "input").glob("*.json")):
        for suite in json.loads(path.read_text()):
            if suite.get("description") in skip_suites:
                continue
            for case in suite["cases"]:
                if case["id"] in skip:
                    continue
                out.append(run_case(suite, case, path.name))
    return out

"""Requests exactly as botocore builds them, captured before they are sent.

A real botocore client (real AWS host names, endpoint rulesets, customisations,
SigV4 with a fake key) is stopped in `before-send`: nothing leaves the machine.
Used by the round-trip tests and by scripts/bench_classify.py.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.tokens import FrozenAuthToken

AK = "CHAPAAAAAAAAAAAAAAAA"
SK = "x" * 40
REGION = "us-west-2"

_session = botocore.session.get_session()


# -- capturing a request --------------------------------------------------------------


class Captured(Exception):
    """Raised from before-send: the request has been built, stop there."""


class _Raw:
    """What AWSResponse needs from urllib3's response: .stream()."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


class _StreamedValue:
    """A parameter botocore turned into a file-like object (a streaming payload)."""

    def __repr__(self):
        return "<streamed>"


def _snapshot(value):
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snapshot(v) for v in value]
    if hasattr(value, "read"):
        return _StreamedValue()
    return value


class _CapturingSerializer:
    """Wraps the client's serializer: keeps the parameters it was given, and can
    stand in another protocol's serializer (CloudWatch in CBOR or query)."""

    def __init__(self, inner):
        self.inner = inner
        self.params = {}  # by operation: endpoint discovery serialises a second call

    def serialize_to_request(self, parameters, operation_model):
        self.params[operation_model.name] = _snapshot(parameters)
        return self.inner.serialize_to_request(parameters, operation_model)


@dataclass
class _Holder:
    serializer: _CapturingSerializer
    request: object = None
    target: str = ""


_clients: dict = {}


def client_for(service: str, region: str = REGION, config: Config | None = None,
               config_key: str = "", protocol: str | None = None, fips: bool = False):
    key = (service, region, config_key, protocol, fips)
    hit = _clients.get(key)
    if hit is not None:
        return hit
    kwargs = {}
    if config is not None:
        kwargs["config"] = config
    if fips:
        kwargs["config"] = (kwargs.get("config") or Config()).merge(Config(use_fips_endpoint=True))
    client = _session.create_client(
        service, region_name=region, aws_access_key_id=AK, aws_secret_access_key=SK, **kwargs
    )
    inner = client._serializer
    if protocol is not None and protocol != client.meta.service_model.resolved_protocol:
        from botocore import serialize

        inner = serialize.create_serializer(protocol, include_validation=True)
    holder = _Holder(_CapturingSerializer(inner))
    client._serializer = holder.serializer
    # Services signed with a bearer token (CodeCatalyst, SSO-style APIs) get a
    # fake one, as an agent would hold.
    client._request_signer._auth_token = FrozenAuthToken("chaperone-fake-bearer-token")

    model = client.meta.service_model
    discovery = {
        name for name in model.operation_names
        if model.operation_model(name).is_endpoint_discovery_operation
    }

    def before_send(request, event_name, **_):
        op = event_name.rsplit(".", 1)[-1]
        if op in discovery and holder.target != op:
            # Endpoint discovery (Timestream): answer with the regional host itself.
            host = request.url.split("/")[2]
            body = b'{"Endpoints":[{"Address":"%s","CachePeriodInMinutes":10}]}' % host.encode()
            return AWSResponse(request.url, 200, {}, _Raw(body))
        holder.request = request
        raise Captured()

    client.meta.events.register("before-send", before_send)
    _clients[key] = (client, holder)
    return client, holder


def body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "seek"):
        try:
            body.seek(0)
        except (OSError, io.UnsupportedOperation):
            pass
    data = body.read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def wire_headers(headers) -> list[tuple[str, str]]:
    """Headers as they cross the wire: http.client sends str values as latin-1,
    mitmproxy hands them back decoded the same way."""
    out = []
    for name, value in headers.items():
        raw = value if isinstance(value, bytes) else str(value).encode("latin-1")
        out.append((name, raw.decode("latin-1")))
    return out


@dataclass
class Wire:
    """One captured request, as the gateway would see it."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    sent_params: dict | None  # what botocore's serializer was given


def capture(service: str, operation: str, params: dict, *, region: str = REGION,
            config: Config | None = None, config_key: str = "",
            protocol: str | None = None, fips: bool = False) -> Wire:
    """The request botocore sends for `operation(**params)`; raises what botocore raises."""
    client, holder = client_for(service, region, config, config_key, protocol, fips)
    holder.request, holder.target = None, operation
    holder.serializer.params.clear()
    try:
        client._make_api_call(operation, dict(params))
    except Captured:
        pass
    req = holder.request
    if req is None:
        raise RuntimeError(f"{service}.{operation}: no request captured")
    return Wire(req.method, req.url, wire_headers(req.headers), body_bytes(req.body),
                holder.serializer.params.get(operation))

"""Which operation a request is, from the service model alone.

REST protocols route by method, URI template and constant query strings,
choosing the most specific match; `json` by `X-Amz-Target`; `query` and `ec2`
by `Action`; `smithy-rpc-v2-cbor` by its `/service/S/operation/O` path.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import quote
from botocore.model import OperationModel, ServiceModel

from .hosts import parse_host
from .request import HeadersLike, Request

_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")
_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class _Route:
    operation: str
    method: str
    pattern: re.Pattern
    const_query: tuple[tuple[str, str | None], ...]  # (key, value or None for bare ?acl)
    required_headers: tuple[str, ...]
    required_query: tuple[str, ...]
    rank: tuple  # higher is more specific


def _compile_uri(template: str) -> tuple[re.Pattern, int, int, int]:
    """A regex for the path part of a requestUri, with its specificity counts."""
    out = []
    pos = literal = greedy = 0
    for m in _LABEL.finditer(template):
        text = template[pos : m.start()]
        out.append(re.escape(text))
        literal += len(text)
        name = m.group(1)
        if name.endswith("+"):
            out.append(f"(?P<{_group(name[:-1])}>.+)")
            greedy += 1
        else:
            out.append(f"(?P<{_group(name)}>[^/]+)")
        pos = m.end()
    tail = template[pos:]
    literal += len(tail)
    out.append(re.escape(tail))
    regex = "".join(out)
    if not regex.endswith("/"):
        regex += "/?"
    segments = template.count("/") - len(_LABEL.findall(template))
    return re.compile("^" + regex + "$"), segments, literal, greedy


def _group(label: str) -> str:
    return "g_" + re.sub(r"\W", "_", label)


def label_groups(pattern_match: re.Match, operation: OperationModel) -> dict[str, str]:
    """URI label values by their template name."""
    names = {}
    for m in _LABEL.finditer(operation.http.get("requestUri", "")):
        name = m.group(1).rstrip("+")
        names[_group(name)] = name
    return {names[k]: v for k, v in pattern_match.groupdict().items() if k in names}


def _build_routes(model: ServiceModel) -> list[_Route]:
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        http = op.http
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        pattern, segments, literal, greedy = _compile_uri(path)
        const = tuple(
            (k, v if "=" in pair else None)
            for pair in query.split("&") if pair
            for k, v in [pair.split("=", 1) if "=" in pair else (pair, "")]
        )
        req_headers, req_query = [], []
        shape = op.input_shape
        if shape is not None:
            for member in shape.required_members:
                if shape.members[member].type_name in ("list", "map"):
                    continue  # an empty list or map is not sent at all
                ser = shape.members[member].serialization
                loc = ser.get("location")
                if loc == "header":
                    req_headers.append(ser.get("name", member).lower())
                elif loc == "querystring":
                    req_query.append(ser.get("name", member))
        deprecated = bool(op.deprecated)
        routes.append(
            _Route(
                name, http.get("method", "POST"), pattern, const,
                tuple(req_headers), tuple(req_query),
                (segments, len(const), 0, -greedy, literal, not deprecated),
            )
        )
    return routes


_routes_cache: dict[int, tuple[ServiceModel, dict[str, list[_Route]]]] = {}
_routes_lock = threading.Lock()


def _routes(model: ServiceModel) -> dict[str, list[_Route]]:
    """A service's REST routes by HTTP method, built once per model."""
    hit = _routes_cache.get(id(model))
    if hit is None or hit[0] is not model:
        with _routes_lock:
            by_method: dict[str, list[_Route]] = {}
            for r in _build_routes(model):
                by_method.setdefault(r.method, []).append(r)
            hit = (model, by_method)
            if len(_routes_cache) > 512:
                _routes_cache.clear()
            _routes_cache[id(model)] = hit
    return hit[1]


def detect_protocol(model: ServiceModel, req: Request) -> str:
    """The protocol a request uses, for services whose model lists several."""
    protocols = model.metadata.get("protocols") or [model.metadata.get("protocol")]
    if len(protocols) == 1:
        return protocols[0]
    headers = req.headers
    if "smithy-rpc-v2-cbor" in protocols and (
        headers.get("smithy-protocol") == "rpc-v2-cbor" or req.path.startswith("/service/")
    ):
        return "smithy-rpc-v2-cbor"
    if "x-amz-target" in headers:
        for p in ("json", "rest-json"):
            if p in protocols:
                return p
    if "x-www-form-urlencoded" in headers.get("content-type", "") or "Action=" in req.query:
        for p in ("query", "ec2"):
            if p in protocols:
                return p
    return protocols[0]


def s3_path(model: ServiceModel, req: Request) -> str:
    """The path-style path of an S3 request sent to a virtual-hosted bucket."""
    if model.metadata.get("endpointPrefix") != "s3":
        return req.path
    info = parse_host(req.host)
    if info is None or not info.labels:
        return req.path
    # An access point ARN holds '/': quoted, it fills the {Bucket} label like a name.
    return "/" + quote(s3_bucket(info), safe="") + req.path


def s3_bucket(info) -> str:
    """The Bucket parameter a virtual-hosted S3 host stands for."""
    label = ".".join(info.labels)
    if info.s3_form in ("accesspoint", "object-lambda"):
        name, _, account = label.rpartition("-")
        service = "s3-object-lambda" if info.s3_form == "object-lambda" else "s3"
        return f"arn:{info.partition}:{service}:{info.region or ''}:{account}:accesspoint/{name}"
    return label


def find_route(model: ServiceModel, req: Request) -> tuple[OperationModel, re.Match | None] | None:
    protocol = detect_protocol(model, req)
    if protocol == "json":
        target = req.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        want = model.metadata.get("targetPrefix")
        if name in model.operation_names and (not want or prefix == want):
            return model.operation_model(name), None
        return None
    if protocol in ("query", "ec2"):
        name = req.form.get("Action", "")
        return (model.operation_model(name), None) if name in model.operation_names else None
    if protocol == "smithy-rpc-v2-cbor":
        m = _CBOR_PATH.match(req.path)
        if m and m.group(2) in model.operation_names:
            want = model.metadata.get("targetPrefix")
            service = m.group(1).rpartition(".")[2]
            if not want or service == want or m.group(1) == want:
                return model.operation_model(m.group(2)), None
        return None
    return _find_rest_route(model, req)


def _find_rest_route(model: ServiceModel, req: Request):
    path = s3_path(model, req)
    found = _match_rest(model, req, path)
    if found is None and path != req.path:
        # A host label that is not a bucket: an operation's host prefix
        # (S3 Object Lambda's WriteGetObjectResponse, say).
        found = _match_rest(model, req, req.path)
    return found


def _match_rest(model: ServiceModel, req: Request, path: str):
    query = req.query_dict
    x_id = query.get("x-id", [None])[0]
    best = None
    for route in _routes(model).get(req.method, ()):
        m = route.pattern.match(path)
        if m is None:
            continue
        if not all(
            k in query and (v is None or v in query[k]) for k, v in route.const_query
        ):
            continue
        if any(h not in req.headers for h in route.required_headers):
            continue
        if any(q not in query for q in route.required_query):
            continue
        if x_id is not None and route.operation == x_id:
            return model.operation_model(route.operation), m
        rank = route.rank[:2] + (
            len(route.required_headers) + len(route.required_query),
        ) + route.rank[3:]
        if best is None or rank > best[0]:
            best = (rank, route, m)
    if best is None:
        return None
    return model.operation_model(best[1].operation), best[2]


def route(
    service_model: ServiceModel, method: str, url: str, headers: HeadersLike, body: bytes | None
) -> OperationModel | None:
    """The operation of `service_model` that this request calls, or None."""
    found = find_route(service_model, Request.build(method, url, headers, body))
    return found[0] if found else None


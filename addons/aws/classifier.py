"""The classifier: a raw HTTP request in, a `Call` out (None for non-AWS traffic)."""

from __future__ import annotations

import re

from botocore.model import ServiceModel

from . import models, readonly, resources
from .call import Call
from .hosts import HostInfo, global_region, parse_host, partition_of_region
from .params import ParamError, parse_request
from .request import HeadersLike, Request
from .router import detect_protocol, find_route
from .sigv2 import V2Auth, parse_v2_query
from .sigv4 import AuthInfo, SigV4Error, parse_auth


_NOT_NAMES = {"aws", "amazonaws", "com", "cn", "api", "global", "dualstack", "fips"}


def classify(method: str, url: str, headers: HeadersLike, body: bytes | None) -> Call | None:
    return classify_request(Request.build(method, url, headers, body))


def classify_request(req: Request) -> Call | None:
    return analyse(req)[0]


def analyse(req: Request) -> tuple[Call | None, AuthInfo | V2Auth | None, SigV4Error | None]:
    """The call, the SigV4 auth it carries, and why that auth is unusable (if it is)."""
    info = parse_host(req.host)
    if info is None:
        return None, None, None
    call = Call(host=req.host, partition=info.partition, region=info.region or "")
    auth_error = None
    try:
        auth = parse_auth(req.method, req.url, list(req.headers.items()))
        if auth is None and "s3" in info.services:
            auth = parse_v2_query(req.query)  # S3's legacy presigned URLs
    except SigV4Error as e:
        auth, auth_error = None, e
        call.auth = "invalid"
        call.unknown_reason = f"{e.code}: {e.message}"
    if isinstance(auth, V2Auth):
        call.auth, call.access_key, call.signing_name = "query", auth.access_key, "s3"
    elif auth is not None:
        call.auth, call.access_key, call.signing_name = auth.style, auth.access_key, auth.service
        call.unknown_reason = _check_scope(auth, info)
        call.region = auth.region
    call.region = call.region or global_region(info.partition)
    _identify(call, req, info, auth if isinstance(auth, AuthInfo) else None)
    return call, auth, auth_error


def _identify(call: Call, req: Request, info: HostInfo, auth: AuthInfo | None) -> None:
    candidates = _candidates(req, info, auth)
    if not candidates:
        call.unknown_reason = call.unknown_reason or _no_service_reason(req, info, auth)
        return
    for name in candidates:
        model = models.service_model(name)
        found = find_route(model, req)
        if found is not None:
            _fill(call, model, found, req)
            return
    call.service = candidates[0]
    call.signing_name = call.signing_name or models.service_index().services[candidates[0]].signing_name
    call.protocol = detect_protocol(models.service_model(candidates[0]), req)
    call.unknown_reason = call.unknown_reason or f"no {candidates[0]} operation matches {req.method} {req.path}"


def _fill(call: Call, model: ServiceModel, found, req: Request) -> None:
    op, match = found
    call.service = model.service_name
    call.signing_name = call.signing_name or model.signing_name or model.endpoint_prefix
    call.operation = op.name
    call.protocol = detect_protocol(model, req)
    call.read_only = readonly.is_read_only(op)
    try:
        call.params = parse_request(op, req, match)
    except ParamError as e:
        call.unknown_reason = call.unknown_reason or f"cannot read the parameters of {op.name}: {e}"
        return
    call.resources = resources.derive(call.service, call.params, call.partition, call.region)


def _no_service_reason(req: Request, info: HostInfo, auth: AuthInfo | None) -> str:
    if auth is not None and info.services:
        return (
            f"the signature is for service {auth.service!r} but {req.host} "
            f"serves {', '.join(info.services)}"
        )
    return f"no AWS service is known at {req.host}"


def _signs_for(service, signing_name: str, info: HostInfo) -> bool:
    """Does a signature for `signing_name` belong to this service at this host?"""
    if service.signing_name == signing_name:
        return True
    # S3 Object Lambda access points are S3 calls signed for s3-object-lambda.
    return service.name == "s3" and info.s3_form == "object-lambda" and signing_name == "s3-object-lambda"


def _check_scope(auth: AuthInfo, info: HostInfo) -> str | None:
    """The credential scope must agree with the host the request went to."""
    # Some regional endpoints sign for their partition's global region (Health, for one).
    if info.region and auth.region != info.region and auth.region != global_region(info.partition):
        return (
            f"the signature's credential scope names region {auth.region!r} "
            f"but the request went to {info.host} ({info.region})"
        )
    part = partition_of_region(auth.region)
    if part is not None and part != info.partition and not (
        info.region is None and {part, info.partition} <= {"aws", "aws-us-gov"}
    ):
        return f"region {auth.region!r} is not in partition {info.partition} of {info.host}"
    return None


def _candidates(req: Request, info: HostInfo, auth: AuthInfo | None) -> tuple[str, ...]:
    index = models.service_index()
    candidates = info.services
    target = req.headers.get("x-amz-target")
    if target:
        by_target = index.by_target_prefix.get(target.rpartition(".")[0])
        if by_target and (not candidates or by_target in candidates):
            candidates = (by_target,)
    elif req.path.startswith("/service/"):
        name = req.path.split("/")[2].rpartition(".")[2]
        by_target = index.by_target_prefix.get(name)
        if by_target and (not candidates or by_target in candidates):
            candidates = (by_target,)
    if auth is not None:
        signed = tuple(c for c in candidates if _signs_for(index.services[c], auth.service, info))
        if not signed:
            # Hosts that only the endpoint rule sets describe (maps.geo.REGION
            # for geo-maps, REGION.oauth.signin.aws): the signature's service,
            # if the host names it.
            words = set(re.split(r"[-.]", info.host)) - _NOT_NAMES
            signed = tuple(
                c for c in index.by_signing_name.get(auth.service, ())
                if set(re.split(r"[-.]", c)) & words
            )
        candidates = signed
    if len(candidates) > 1 and "Action" in req.form:
        # Query services sharing a host (elb and elbv2) differ by API version.
        version = req.form.get("Version")
        candidates = tuple(sorted(candidates, key=lambda c: index.services[c].api_version != version))
    return candidates

"""S3's legacy query-string auth (SigV2 presigned URLs).

boto3 still presigns S3 URLs this way by default in us-east-1, so an agent's
presigned GET arrives as `?AWSAccessKeyId=..&Signature=..&Expires=..`. The
gateway verifies it against the agent's secret and presigns the call again
with SigV4 and the gateway's credentials, with the same expiry.
"""

from __future__ import annotations

import base64
import datetime
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from .sigv4 import SigV4Error

AUTH_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")

# Sub-resources that are part of the string to sign (S3's documented list).
_SUBRESOURCES = frozenset({
    "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber",
    "policy", "requestPayment", "torrent", "versioning", "versionId", "versions", "website",
    "uploads", "uploadId", "response-content-type", "response-content-language",
    "response-expires", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
    "storageClass", "notification", "replication", "analytics", "metrics", "inventory",
    "select", "select-type", "object-lock",
})


@dataclass(frozen=True, slots=True)
class V2Auth:
    access_key: str
    signature: str
    expires: int


def parse_v2_query(query: str) -> V2Auth | None:
    """The SigV2 auth in a query string, or None when there is none."""
    if "Signature=" not in query or "AWSAccessKeyId=" not in query:
        return None
    params = dict(parse_qsl(query, keep_blank_values=True))
    try:
        return V2Auth(params["AWSAccessKeyId"], params["Signature"], int(params["Expires"]))
    except (KeyError, ValueError) as e:
        raise SigV4Error("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters") from e


def verify_v2(
    auth: V2Auth, method: str, resource_path: str, query: str, headers: dict[str, str],
    secret: str, now: datetime.datetime,
) -> None:
    """Raise SigV4Error unless the SigV2 query signature is right and unexpired.
    `resource_path` is the path-style path (/bucket/key, still URL-encoded)."""
    if auth.expires < now.timestamp():
        raise SigV4Error("AccessDenied", "Request has expired")
    amz = {k.lower(): v.strip() for k, v in headers.items() if k.lower().startswith("x-amz-")}
    sub = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if key.startswith("x-amz-"):
            amz[key] = unquote(value)
        if key in _SUBRESOURCES:
            sub.append((key, unquote(value) if eq else None))
    sub.sort(key=lambda kv: kv[0])
    resource = resource_path
    if sub:
        resource += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in sub)
    string_to_sign = "\n".join([
        method.upper(), headers.get("content-md5", ""), headers.get("content-type", ""),
        str(auth.expires), *(f"{k}:{amz[k]}" for k in sorted(amz)), resource,
    ])
    expected = base64.b64encode(hmac.digest(secret.encode(), string_to_sign.encode(), "sha1")).decode()
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise SigV4Error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")


def strip_v2(query: str) -> str:
    """The query string without its SigV2 auth parameters."""
    return "&".join(p for p in query.split("&") if p and p.partition("=")[0] not in AUTH_PARAMS)

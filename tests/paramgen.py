"""Deterministic generator of valid request parameters for a botocore input shape.

`generate(operation_model, rng)` returns a dict an SDK user could pass to
``client.<operation>(**params)``: every required member, a random subset of the
optional ones, following each shape's type and traits (enum, min/max length,
min/max value, union, document, streaming). The values are chosen to stress the
wire encodings (spaces, unicode, '/', '+', '=', '&', '%', quotes, XML and URL
metacharacters) while staying what the wire can carry for the member's location:

- URI labels are non-empty, never '.' or '..' (a client or proxy normalises dot
  segments away); a greedy label may hold '/' between non-empty segments.
- Header values are printable ASCII without leading/trailing blanks (HTTP strips
  optional whitespace and http.client refuses non-latin-1 header values).
- Keys of a prefixed-header map (`location: headers`, S3's x-amz-meta-*) are
  lowercase tokens: header names are case-insensitive on the wire.
- Members used as endpoint-ruleset context parameters or host labels get values
  that are valid DNS labels (S3 bucket names, s3control account ids, ...).

Timestamps are timezone-aware with whole seconds: RFC 822 (REST headers) keeps
seconds only, and botocore's default precision for the other formats is whole
seconds too. Members the SDK fills in itself (idempotency tokens, flexible
checksum members) are left out; the round-trip test allows them as extras.

Everything is drawn from the `random.Random` given, so a seed reproduces a case.
"""

from __future__ import annotations

import datetime
import random
import re
import string

from botocore.model import OperationModel, Shape

MAX_DEPTH = 5
MAX_STR = 24

_ASCII = string.ascii_letters + string.digits
_PUNCT = " /+=&%?#:;,.@!$'\"()*[]{}<>~^|\\`-_"
_UNICODE = "éüßñ日本語✓Ωж€😀"
_TEXT = _ASCII * 2 + _PUNCT + _UNICODE + "\n\t"
_HEADER_TEXT = _ASCII * 2 + " /+=&%?#:;,.@!$'\"()*[]{}<>~^|\\`-_"
_LABEL_TEXT = string.ascii_lowercase + string.digits

UTC = datetime.timezone.utc
_OTHER_TZ = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

# Context members an endpoint ruleset turns into host labels or parses as ARNs.
_HOSTLIKE = {
    ("s3control", "AccountId"),
    ("s3control", "OutpostId"),
    ("s3", "RequestRoute"),
    ("neptune-graph", "graphIdentifier"),
    ("events", "EndpointId"),
    ("sesv2", "EndpointId"),
    ("opensearchmemory", "spaceId"),
}


# ARNs for context parameters the endpoint ruleset parses (account-based and
# ARN-routed endpoints); {x} is a DNS-safe name.
_ARNS = {
    "kinesis": "arn:{p}:kinesis:{r}:123456789012:stream/{x}",
    "cloudfront-keyvaluestore": "arn:{p}:cloudfront::123456789012:key-value-store/{x}",
    "dynamodb": "arn:{p}:dynamodb:{r}:123456789012:table/{x}",
    "dynamodbstreams": "arn:{p}:dynamodb:{r}:123456789012:table/{x}/stream/2024-01-01T00:00:00.000",
    "eventbridgev2": "arn:{p}:events:{r}:123456789012:event-bus/{x}",
}


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def sdk_filled_members(op: OperationModel) -> set[str]:
    """Input members an SDK fills in by itself (so they may be extra when parsed)."""
    shape = op.input_shape
    if shape is None:
        return set()
    out = {name for name, m in shape.members.items() if m.metadata.get("idempotencyToken")}
    checksum = op.http_checksum or {}
    for key in ("requestAlgorithmMember", "requestValidationModeMember"):
        if checksum.get(key):
            out.add(checksum[key])
    for name, member in shape.members.items():
        ser = member.serialization
        wire = ser.get("name", "").lower()
        if ser.get("location") == "header" and (
            wire.startswith("x-amz-checksum-")
            # Content-Length follows the body the SDK sends (dropped for aws-chunked)
            or wire in ("content-md5", "x-amz-sdk-checksum-algorithm", "content-length")
        ):
            out.add(name)
    return out


def is_streaming(member: Shape) -> bool:
    return bool(member.serialization.get("streaming") or member.metadata.get("streaming"))


class Generator:
    def __init__(self, op: OperationModel, rng: random.Random, *, optional_p: float = 0.5,
                 region: str = "us-west-2"):
        self.op = op
        self.region = region
        self.service = op.service_model.service_name
        self.rng = rng
        self.optional_p = optional_p
        uri = op.http.get("requestUri", "")
        self.greedy = set(re.findall(r"\{([^}]+)\+\}", uri))

    # -- entry ------------------------------------------------------------------

    def params(self) -> dict:
        shape = self.op.input_shape
        if shape is None:
            return {}
        skip = sdk_filled_members(self.op)
        out = {}
        for name, member in shape.members.items():
            if name in skip and name not in shape.required_members:
                continue
            if name not in shape.required_members and self.rng.random() >= self.optional_p:
                continue
            out[name] = self.top_member(name, member)
        if shape.is_tagged_union and len(out) != 1:
            name = self.rng.choice(list(shape.members))
            out = {name: self.top_member(name, shape.members[name])}
        return out

    def top_member(self, name: str, member: Shape):
        ser = member.serialization
        loc = ser.get("location")
        host_like = (
            (self.service, name) in _HOSTLIKE
            or member.metadata.get("hostLabel")
            or ser.get("hostLabel")
        )
        if self.service in ("s3", "s3control") and name == "Bucket":
            return self.bucket()
        if self.service == "s3control" and name == "AccountId":
            return "".join(self.rng.choice(string.digits) for _ in range(12))
        if name in ("SourceRegion", "DestinationRegion") and member.type_name == "string":
            # botocore presigns a copy request to this region (EC2 CopySnapshot,
            # RDS cross-region copies): it must be a real region.
            return self.rng.choice(["us-east-1", "eu-west-1", "ap-south-1"])
        context = member.metadata.get("contextParam") or ser.get("contextParam")
        if context and self.service in _ARNS and member.type_name == "string" and (
            name.lower().endswith("arn") or self.rng.random() < 0.3
        ):
            return _ARNS[self.service].format(
                p=_partition(self.region), r=self.region, x=self.label(member)
            )
        if host_like and member.type_name == "string":
            return self.label(member)
        if is_streaming(member) and member.type_name == "blob":
            return self.blob(member, lo=1)
        if loc == "uri":
            wire = ser.get("name", name)
            return self.value(member, 0, "uri+" if wire in self.greedy else "uri")
        if loc == "header":
            return self.value(member, 0, "header")
        if loc == "headers":
            return self.header_map(member)
        if loc == "querystring":
            return self.value(member, 0, "query")
        return self.value(member, 0, None)

    # -- shapes -------------------------------------------------------------------

    def value(self, shape: Shape, depth: int, where: str | None):
        t = shape.type_name
        if getattr(shape, "is_document_type", False):
            return self.document(2)
        if t == "structure":
            return self.structure(shape, depth + 1, where)
        if t == "list":
            n = self.count(shape, 0, 3 if depth < MAX_DEPTH else 1)
            return [self.value(shape.member, depth + 1, where) for _ in range(n)]
        if t == "map":
            n = self.count(shape, 0, 3 if depth < MAX_DEPTH else 1)
            out = {}
            for _ in range(n * 3):
                if len(out) >= n:
                    break
                key = self.value(shape.key, depth + 1, "mapkey" if where is None else where)
                out[key] = self.value(shape.value, depth + 1, where)
            return out
        if t == "string":
            return self.string(shape, where)
        if t in ("integer", "long", "short", "byte"):
            return self.integer(shape)
        if t in ("float", "double"):
            return self.float(shape)
        if t == "boolean":
            return self.rng.random() < 0.5
        if t == "timestamp":
            return self.timestamp()
        if t == "blob":
            return self.blob(shape)
        raise ValueError(f"unknown shape type {t} ({shape.name})")

    def structure(self, shape: Shape, depth: int, where):
        members = shape.members
        if shape.is_tagged_union:
            names = [n for n, m in members.items() if depth < MAX_DEPTH or m.type_name not in ("structure", "list", "map")]
            name = self.rng.choice(names or list(members))
            return {name: self.value(members[name], depth, where)}
        out = {}
        p = self.optional_p if depth < MAX_DEPTH else 0.0
        for name, member in members.items():
            if name in shape.required_members or self.rng.random() < p:
                out[name] = self.value(member, depth, where)
        if _empty(out) and members:
            # At least one member: an empty structure sends nothing in the query
            # and EC2 protocols, so an empty item in a list would shift the rest.
            scalars = [n for n, m in members.items() if m.type_name not in ("structure", "list", "map")]
            for _ in range(20):
                name = self.rng.choice(scalars or list(members))
                out[name] = self.value(members[name], depth, where)
                if not _empty(out):
                    break
        return out

    def count(self, shape: Shape, lo: int, hi: int) -> int:
        lo = max(lo, int(shape.metadata.get("min", 0) or 0))
        hi = max(lo, min(hi, int(shape.metadata.get("max", hi))))
        return self.rng.randint(lo, hi)

    # -- scalars --------------------------------------------------------------------

    def length(self, shape: Shape, lo: int = 0) -> int:
        lo = max(lo, int(shape.metadata.get("min", 0) or 0))
        hi = int(shape.metadata.get("max", MAX_STR))
        hi = max(lo, min(hi, max(MAX_STR, lo)))
        return self.rng.randint(lo, min(hi, lo + MAX_STR))

    def string(self, shape: Shape, where: str | None) -> str:
        enum = shape.enum
        if enum:
            return self.rng.choice(list(enum))
        if where == "header" and (shape.serialization.get("jsonvalue") or shape.metadata.get("jsonvalue")):
            return self.document(1, top_object=True)  # a JSON value, sent base64-encoded
        if where in ("uri", "uri+"):
            return self.path_text(shape, greedy=where == "uri+")
        if where in ("header", "headerkey"):
            n = self.length(shape)
            text = "".join(self.rng.choice(_HEADER_TEXT) for _ in range(n)).strip()
            while len(text) < max(1, int(shape.metadata.get("min", 0) or 0)):
                text += self.rng.choice(_ASCII)
            return text
        n = self.length(shape)
        return "".join(self.rng.choice(_TEXT) for _ in range(n))

    def path_text(self, shape: Shape, greedy: bool) -> str:
        n = self.length(shape, lo=1)
        while True:
            alphabet = _TEXT.replace("\n", "").replace("\t", "")
            text = "".join(self.rng.choice(alphabet) for _ in range(n))
            if not greedy:
                text = text.replace("/", "-")
            segments = text.split("/")
            if all(s not in ("", ".", "..") for s in segments):
                return text

    def label(self, shape: Shape) -> str:
        n = max(3, min(self.length(shape, lo=3), 20))
        return self.rng.choice(string.ascii_lowercase) + "".join(
            self.rng.choice(_LABEL_TEXT) for _ in range(n - 1)
        )

    def bucket(self) -> str:
        """A bucket name the SDK accepts: DNS-style (virtual-hosted), or with
        uppercase, '_' or '.' (path-style)."""
        body = "".join(self.rng.choice(_LABEL_TEXT + "-") for _ in range(self.rng.randint(1, 18)))
        name = "b" + body.strip("-") + "0"
        roll = self.rng.random()
        if roll < 0.1:
            name = name[:2] + "_X" + name[2:]
        elif roll < 0.2:
            name = name[:2] + "." + name[2:]
        return name

    def header_map(self, shape: Shape) -> dict:
        out = {}
        for _ in range(self.rng.randint(0, 3)):
            key = "".join(self.rng.choice(_LABEL_TEXT + "-") for _ in range(self.rng.randint(1, 10)))
            out["k" + key] = self.string(shape.value, "header")
        return out

    def integer(self, shape: Shape) -> int:
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        big = 2**31 - 1 if shape.type_name == "integer" else 2**53
        lo = -big if lo is None else int(lo)
        hi = big if hi is None else int(hi)
        roll = self.rng.random()
        if roll < 0.1:
            return lo if lo > -big else max(lo, -(2**31))
        if roll < 0.2:
            return hi if hi < big else min(hi, 2**31 - 1)
        return self.rng.randint(max(lo, -1000), max(min(hi, 100000), max(lo, -1000)))

    def float(self, shape: Shape) -> float:
        lo = float(shape.metadata.get("min", -1e6))
        hi = float(shape.metadata.get("max", 1e6))
        return round(self.rng.uniform(max(lo, -1e6), min(hi, 1e6)), 3)

    def timestamp(self) -> datetime.datetime:
        seconds = self.rng.randint(946684800, 2082758400)  # 2000 .. 2036
        tz = UTC if self.rng.random() < 0.8 else _OTHER_TZ
        return datetime.datetime.fromtimestamp(seconds, UTC).astimezone(tz)

    def blob(self, shape: Shape, lo: int = 0) -> bytes:
        n = self.length(shape, lo=lo)
        return bytes(self.rng.randrange(256) for _ in range(n))

    def document(self, depth: int, top_object: bool = False):
        roll = 0 if top_object else self.rng.randrange(6)
        if roll == 0 and depth > 0:
            return {
                self.plain(): self.document(depth - 1)
                for _ in range(self.rng.randint(0, 3))
            }
        if roll == 1 and depth > 0:
            return [self.document(depth - 1) for _ in range(self.rng.randint(0, 3))]
        if roll == 2:
            return self.rng.randint(-1000, 1000)
        if roll == 3:
            return self.rng.random() < 0.5
        return self.plain()

    def plain(self) -> str:
        return "".join(self.rng.choice(_TEXT) for _ in range(self.rng.randint(0, 8)))


def _empty(value) -> bool:
    """True when nothing of `value` would reach a query/EC2 form: empty
    containers, or structures holding only those."""
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    if isinstance(value, list):
        return not value
    return False


def generate(op: OperationModel, rng: random.Random, **kwargs) -> dict:
    """Valid input parameters for `op`, drawn from `rng`."""
    return Generator(op, rng, **kwargs).params()

"""AWS Signature Version 4: parse, verify and sign requests, fast.

No mitmproxy and no botocore here: plain ``hmac``/``hashlib`` with a cache of
derived signing keys, so that a verify or a sign costs a few microseconds
(botocore's ``SigV4Auth.add_auth`` costs ~50 us in a tight loop and several
hundred inside a mitmproxy hook).

Inputs are what an intercepting proxy sees: the method, the absolute URL as
sent (path and query *not* decoded), and the headers as a list of
``(name, value)`` str pairs in wire order (any case, repeats allowed).

Canonicalisation follows botocore exactly, because verification must accept
what botocore and the AWS CLI produce and signing must produce what AWS (and
moto's checker, which *is* botocore) accepts:

* canonical URI: for S3 the path exactly as sent; for every other service
  ``quote(remove_dot_segments(path), safe="/~")`` -- dot segments removed,
  *consecutive slashes collapsed*, and the already-encoded path encoded a
  second time (``%20`` becomes ``%2520``).
* canonical query: ``&``-separated pairs split on the first ``=`` (a bare key
  becomes ``key=``), each name and value percent-decoded and re-encoded with
  only ``A-Za-z0-9-_.~`` left bare (a literal ``+`` stays a plus, ``%2B``),
  sorted by encoded name then value.  For a correctly encoded URL (every
  SDK's) that is byte-for-byte botocore's split-and-sort of the raw query.
* canonical headers: names lowercased, values trimmed with runs of
  whitespace collapsed to one space, repeats joined with ``,``.

The signer signs a fixed, safe set of headers (see `sign`), never the
hop-by-hop ones.  The verifier canonicalises exactly the headers the client
listed in ``SignedHeaders``, whatever they are.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass, field, fields
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Iterable
from urllib.parse import quote, unquote, unquote_to_bytes

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "STREAMING_SIGNED_PAYLOAD",
    "STREAMING_SIGNED_PAYLOAD_TRAILER",
    "STREAMING_UNSIGNED_PAYLOAD_TRAILER",
    "NEVER_SIGN",
    "AuthInfo",
    "Credentials",
    "SignedRequest",
    "SigV4Error",
    "SigningKeyCache",
    "canonical_headers",
    "credential_scope",
    "header_dict",
    "parse_auth",
    "presign",
    "sign",
    "sign_request",
    "signing_key",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_LITERAL_PAYLOADS = frozenset(
    {
        UNSIGNED_PAYLOAD,
        STREAMING_SIGNED_PAYLOAD,
        STREAMING_SIGNED_PAYLOAD_TRAILER,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    }
)
_SIGV4A_PAYLOADS = frozenset(
    {
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)

MAX_SKEW = datetime.timedelta(minutes=15)
_MAX_SKEW_S = MAX_SKEW.total_seconds()
MAX_EXPIRES = 604800  # seven days, in seconds

#: Headers the signer never signs: hop-by-hop and proxy headers (a proxy on
#: the way may rewrite or drop them), and the ones botocore leaves out
#: (user agent, tracing).  botocore's SIGNED_HEADERS_BLACKLIST is a subset.
NEVER_SIGN = frozenset(
    {
        "authorization",
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)

# Headers `sign` drops from its input and sets itself.
_SIGNER_OWNED = frozenset(
    {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}
)
# Query parameters that carry presigned-URL auth (compared lowercased).
_QUERY_AUTH_PARAMS = frozenset(
    {
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-signedheaders",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-s3session-token",
    }
)

_URL_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?")
_UNRESERVED_RE = re.compile(r"[A-Za-z0-9\-_.~]*")
_AMZ_DATE_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SCOPE_DATE_RE = re.compile(r"[0-9]{8}")
_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")
_UTC = datetime.timezone.utc


# Signing names whose requests sign S3's way (the path as sent, no double encoding).
S3_SIGNING_NAMES = frozenset({"s3", "s3-object-lambda", "s3-outposts"})


def s3_style(signing_name: str) -> bool:
    return signing_name in S3_SIGNING_NAMES


class SigV4Error(Exception):
    """A request that fails SigV4, with the AWS error code to answer with.

    The message is for the agent: it never holds a secret or the signature
    the gateway expected.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """The SigV4 auth a request carries (Authorization header or presigned query)."""

    style: str  # "header" | "query"
    algorithm: str
    access_key: str
    scope_date: str  # YYYYMMDD
    region: str
    service: str  # the signing name in the credential scope
    signed_headers: tuple[str, ...]  # lowercase, in the client's order
    signature: str
    amz_date: str  # YYYYMMDDTHHMMSSZ
    expires: int | None = None  # X-Amz-Expires, query auth only
    security_token: str | None = field(default=None, repr=False)

    @property
    def scope(self) -> str:
        """The credential scope without the access key: date/region/service/aws4_request."""
        return f"{self.scope_date}/{self.region}/{self.service}/aws4_request"


# AuthInfo is built on every request: setting the slots directly costs half
# what the frozen dataclass __init__ (object.__setattr__ per field) does.
_AUTH_SETTERS = tuple(AuthInfo.__dict__[f].__set__ for f in AuthInfo.__slots__)
assert AuthInfo.__slots__ == tuple(f.name for f in fields(AuthInfo))


def _make_auth(a, b, c, d, e, f, g, h, i, j, k, _new=object.__new__, _s=_AUTH_SETTERS) -> AuthInfo:
    obj = _new(AuthInfo)
    _s[0](obj, a)
    _s[1](obj, b)
    _s[2](obj, c)
    _s[3](obj, d)
    _s[4](obj, e)
    _s[5](obj, f)
    _s[6](obj, g)
    _s[7](obj, h)
    _s[8](obj, i)
    _s[9](obj, j)
    _s[10](obj, k)
    return obj


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(slots=True)
class SignedRequest:
    """What `sign_request` produced; `signature` seeds aws-chunked re-signing."""

    headers: list[tuple[str, str]]
    signature: str
    amz_date: str
    scope: str  # date/region/service/aws4_request
    signed_headers: tuple[str, ...]
    signing_key: bytes = field(repr=False)


# --------------------------------------------------------------------------
# signing keys


class _Key:
    """A derived signing key, with the HMAC-SHA256 pad states precomputed:
    HMAC(key, msg) as two sha256 copies instead of an OpenSSL HMAC set-up
    (about twice as fast for the short strings SigV4 signs)."""

    __slots__ = ("key", "_inner", "_outer")

    def __init__(self, key: bytes):
        self.key = key
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def hexmac(self, msg: bytes) -> str:
        inner = self._inner.copy()
        inner.update(msg)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __repr__(self) -> str:
        return "<signing key>"


class SigningKeyCache:
    """A bounded cache of derived SigV4 signing keys.

    A key depends only on (secret, date, region, service), so one derivation
    (four HMACs) serves a whole day of calls.  Never prints its contents.
    """

    __slots__ = ("_maxsize", "_keys")

    def __init__(self, maxsize: int = 512):
        self._maxsize = maxsize
        self._keys: dict[tuple[str, str, str, str], _Key] = {}

    def _entry(self, secret: str, date: str, region: str, service: str) -> _Key:
        k = (secret, date, region, service)
        entry = self._keys.get(k)
        if entry is None:
            entry = _Key(_derive_key(secret, date, region, service))
            if len(self._keys) >= self._maxsize:
                # Drop the oldest entry (dicts keep insertion order).
                del self._keys[next(iter(self._keys))]
            self._keys[k] = entry
        return entry

    def get(self, secret: str, date: str, region: str, service: str) -> bytes:
        return self._entry(secret, date, region, service).key

    def clear(self) -> None:
        self._keys.clear()

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"SigningKeyCache(size={len(self._keys)}, maxsize={self._maxsize})"


def _derive_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), "sha256")
    k = hmac.digest(k, region.encode("utf-8"), "sha256")
    k = hmac.digest(k, service.encode("utf-8"), "sha256")
    return hmac.digest(k, b"aws4_request", "sha256")


DEFAULT_KEY_CACHE = SigningKeyCache()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The (cached) SigV4 signing key for a secret and a credential scope."""
    return DEFAULT_KEY_CACHE.get(secret, date, region, service)


def hmac_sha256_hex(key: bytes):
    """A fast ``msg -> HMAC-SHA256(key, msg).hexdigest()`` for a fixed key."""
    return _Key(key).hexmac


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


# --------------------------------------------------------------------------
# canonical pieces


def _split_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, authority, path, query) of an absolute URL, nothing decoded.

    A bare path ("/a?b") gives an empty scheme and authority.
    """
    m = _URL_RE.match(url)
    if m is not None:
        return m.group(1).lower(), m.group(2), m.group(3), m.group(4) or ""
    rest = url.partition("#")[0]
    path, _, query = rest.partition("?")
    return "", "", path, query


@lru_cache(maxsize=1024)
def _host_value(scheme: str, authority: str) -> str:
    """The Host value botocore signs for a URL: lowercase, no userinfo, no default port."""
    a = authority.rpartition("@")[2]
    if a.startswith("["):
        end = a.find("]")
        host = a[: end + 1].lower() if end >= 0 else a.lower()
        port = a[end + 2 :] if end >= 0 and a[end + 1 : end + 2] == ":" else ""
    elif ":" in a:
        host, _, port = a.rpartition(":")
        host = host.lower()
    else:
        host, port = a.lower(), ""
    if port.isascii() and port.isdigit():
        p = int(port)
        if p != {"http": 80, "https": 443}.get(scheme):
            return f"{host}:{p}"
    return host


def _remove_dot_segments(path: str) -> str:
    # botocore.utils.remove_dot_segments: RFC 3986 5.2.4, and empty segments
    # (consecutive slashes) are dropped too.
    if not path:
        return "/"
    out: list[str] = []
    for seg in path.split("/"):
        if seg and seg != ".":
            if seg == "..":
                if out:
                    out.pop()
            else:
                out.append(seg)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


@lru_cache(maxsize=2048)
def _canonical_path(path: str, s3: bool) -> str:
    if s3:
        return path or "/"
    return quote(_remove_dot_segments(path), safe="/~", errors="surrogateescape")


def _requote_path(path: str) -> str:
    """Each segment decoded and encoded once (the S3 rule, applied to a path
    that was not encoded the canonical way)."""
    return "/".join(
        [quote(unquote_to_bytes(_b(seg)), safe="~") for seg in path.split("/")]
    )


def _encode_component(s: str, plus_as_space: bool = False) -> str:
    if plus_as_space and "+" in s:
        s = s.replace("+", "%20")
    if _UNRESERVED_RE.fullmatch(s):
        return s
    return quote(unquote_to_bytes(_b(s)), safe="-_.~")


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _canonical_query(query: str, mode: int = 0, skip_signature: bool = False) -> str:
    """The canonical query string.

    mode 0: decode and re-encode each name and value (what AWS computes; the
    same as botocore for any correctly encoded query).  mode 1: botocore's
    raw split and sort, no re-encoding.  mode 2: as 0, reading ``+`` as a
    space.  skip_signature leaves out X-Amz-Signature (presigned URLs).
    """
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        k, _, v = part.partition("=")
        if skip_signature and k == "X-Amz-Signature":
            continue
        if mode != 1:
            k = _encode_component(k, mode == 2)
            v = _encode_component(v, mode == 2)
        pairs.append((k, v))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


# Cached for the common case: the same query strings come again and again.
_canonical_query_cached = lru_cache(maxsize=2048)(_canonical_query)


def _collect(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    d: dict[str, list[str]] = {}
    for name, value in headers:
        k = name.lower()
        vs = d.get(k)
        if vs is None:
            d[k] = [value]
        else:
            vs.append(value)
    return d


def _canon_value(values: list[str]) -> str:
    if len(values) == 1:
        return " ".join(values[0].split())
    return ",".join([" ".join(v.split()) for v in values])


def header_dict(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as SigV4 sees them: lowercase name -> canonical value.

    Each value is trimmed with runs of whitespace collapsed to one space;
    a repeated header's values are joined with ``,`` in wire order.
    """
    return {k: _canon_value(v) for k, v in _collect(headers).items()}


def canonical_headers(headers: Iterable[tuple[str, str]], names: Iterable[str]) -> str:
    """The canonical-headers block (each line ``name:value\\n``) for `names`."""
    d = header_dict(headers)
    return "".join(f"{n}:{d.get(n, '')}\n" for n in names)


def _format_amz_date(now: datetime.datetime) -> str:
    if now.tzinfo is not None and now.tzinfo is not _UTC:
        now = now.astimezone(_UTC)
    return "%04d%02d%02dT%02d%02d%02dZ" % (
        now.year, now.month, now.day, now.hour, now.minute, now.second
    )


def _parse_amz_date(value: str) -> datetime.datetime | None:
    if not _AMZ_DATE_RE.fullmatch(value):
        return None
    try:
        return datetime.datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=_UTC,
        )
    except ValueError:
        return None


def _epoch(now: datetime.datetime) -> float:
    return (now.replace(tzinfo=_UTC) if now.tzinfo is None else now).timestamp()


@lru_cache(maxsize=256)
def _amz_epoch(value: str) -> int | None:
    when = _parse_amz_date(value)
    return None if when is None else int(when.timestamp())


def _string_to_sign(amz_date: str, scope: str, canonical_request: str) -> bytes:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}".encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------
# parsing


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error("IncompleteSignature", message)


def _unsupported_algorithm(algorithm: str) -> SigV4Error:
    if algorithm == SIGV4A_ALGORITHM:
        return SigV4Error(
            "InvalidRequest",
            "SigV4a (AWS4-ECDSA-P256-SHA256) signing is not supported by the gateway yet; "
            "configure the SDK to use SigV4 (AWS4-HMAC-SHA256)",
        )
    shown = algorithm[:32] if algorithm.isprintable() else "?"
    return SigV4Error(
        "InvalidRequest",
        f"The authorization mechanism {shown!r} is not supported by the gateway; "
        "please use AWS4-HMAC-SHA256",
    )


def _s3express_error() -> SigV4Error:
    return SigV4Error(
        "InvalidRequest",
        "S3 Express One Zone session auth (CreateSession / x-amz-s3session-token) "
        "is not supported by the gateway yet",
    )


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0]:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/aws4_request"
        )
    akid, date, region, service, term = parts
    if term != "aws4_request":
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not {term[:32]!r}."
        )
    if not _SCOPE_DATE_RE.fullmatch(date):
        raise _incomplete("Credential should be scoped to a valid date (YYYYMMDD).")
    if not region:
        raise _incomplete("Credential should be scoped to a valid region.")
    if not service:
        raise _incomplete("Credential should be scoped to correct service.")
    if service == "s3express":
        raise _s3express_error()
    return akid, date, region, service


def _parse_signed_headers(value: str) -> tuple[str, ...]:
    names = value.lower().split(";")
    if " " in value or "\t" in value:
        names = [n.strip() for n in names]
    names = tuple(names)
    if "" in names:
        raise _incomplete("SignedHeaders must be a ';'-separated list of header names.")
    return names


def _date_from_http_date(value: str) -> str | None:
    try:
        d = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if d is None:
        return None
    return _format_amz_date(d if d.tzinfo else d.replace(tzinfo=_UTC))


def _query_auth_pairs(query: str) -> dict[str, str] | None:
    """The presigned-auth parameters of a query, or None when it has none."""
    if "X-Amz-" not in query:
        return None
    found: dict[str, str] = {}
    for part in query.split("&"):
        if not part.startswith("X-Amz-"):
            continue
        k, _, v = part.partition("=")
        if k in found:
            raise _incomplete(f"Query parameter {k} appears more than once.")
        found[k] = v
    if "X-Amz-Algorithm" not in found and "X-Amz-Credential" not in found:
        return None
    return found


def parse_auth(method: str, url: str, headers: list[tuple[str, str]]) -> AuthInfo | None:
    """The SigV4 auth a request carries, or None when it carries none.

    Raises SigV4Error for auth that is malformed (IncompleteSignature), doubled
    (header and query: InvalidRequest) or of a kind the gateway cannot verify
    (SigV4a, S3 Express sessions, other schemes: InvalidRequest).
    """
    authz: str | None = None
    n_authz = 0
    amz_date: str | None = None
    http_date: str | None = None
    token: str | None = None
    for name, value in headers:
        k = name.lower()
        if k == "authorization":
            authz = value
            n_authz += 1
        elif k == "x-amz-date":
            amz_date = value.strip()
        elif k == "date":
            http_date = value
        elif k == "x-amz-security-token":
            token = value
        elif k == "x-amz-s3session-token":
            raise _s3express_error()

    qauth = None
    i = url.find("?")
    if i >= 0 and "X-Amz-" in url:
        q = _split_url(url)[3]
        qauth = _query_auth_pairs(q) if q else None

    if authz is not None:
        if qauth is not None:
            raise SigV4Error(
                "InvalidRequest",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                "parameter or the Authorization header should be specified",
            )
        if n_authz > 1:
            raise _incomplete("The request has more than one Authorization header.")
        return _parse_header_auth(authz, amz_date, http_date, token)
    if qauth is not None:
        return _parse_query_auth(qauth)
    return None


# The form every SDK sends; anything else takes the slow, careful path.
_AUTHZ_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/,\s=]+)/([0-9]{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request,"
    r" ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})"
)


def _parse_header_auth(
    authz: str, amz_date: str | None, http_date: str | None, token: str | None
) -> AuthInfo:
    m = _AUTHZ_RE.fullmatch(authz)
    if m is not None and amz_date is not None:
        akid, date, region, service, names, sig = m.groups()
        names = tuple(names.split(";"))
        if "" not in names and service != "s3express":
            return _make_auth(
                "header", ALGORITHM, akid, date, region, service, names, sig, amz_date, None, token
            )
    algorithm, _, rest = authz.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _unsupported_algorithm(algorithm)
    params: dict[str, str] = {}
    for item in rest.split(","):
        k, eq, v = item.strip().partition("=")
        if not eq or not k:
            raise _incomplete(
                "Authorization header requires 'Credential', 'SignedHeaders' and "
                "'Signature' parameters as key=value pairs separated by commas."
            )
        if k in params:
            raise _incomplete(f"Authorization header has more than one {k[:20]!r} parameter.")
        params[k] = v.strip()
    missing = [p for p in ("Credential", "SignedHeaders", "Signature") if not params.get(p)]
    if missing:
        raise _incomplete(
            " ".join(f"Authorization header requires '{p}' parameter." for p in missing)
        )
    akid, date, region, service = _parse_credential(params["Credential"])
    if amz_date is None:
        if http_date is None:
            raise _incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            )
        amz_date = _date_from_http_date(http_date)
        if amz_date is None:
            raise _incomplete("The Date header is not a valid HTTP date.")
    return _make_auth(
        "header",
        ALGORITHM,
        akid,
        date,
        region,
        service,
        _parse_signed_headers(params["SignedHeaders"]),
        params["Signature"],
        amz_date,
        None,
        token,
    )


def _parse_query_auth(q: dict[str, str]) -> AuthInfo:
    algorithm = unquote(q.get("X-Amz-Algorithm", ""))
    if algorithm != ALGORITHM:
        if not algorithm:
            raise _incomplete("Query-string authentication requires the X-Amz-Algorithm parameter.")
        raise _unsupported_algorithm(algorithm)
    if "X-Amz-S3session-Token" in q:
        raise _s3express_error()
    missing = [
        p
        for p in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
        if not q.get(p)
    ]
    if missing:
        raise _incomplete(
            "Query-string authentication requires the "
            + ", ".join(missing)
            + " parameter" + ("s." if len(missing) > 1 else ".")
        )
    akid, date, region, service = _parse_credential(unquote(q["X-Amz-Credential"]))
    expires: int | None = None
    if "X-Amz-Expires" in q:
        raw = unquote(q["X-Amz-Expires"])
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
            raise _incomplete("X-Amz-Expires should be a number of seconds.")
        expires = int(raw)
    token = q.get("X-Amz-Security-Token")
    return _make_auth(
        "query",
        ALGORITHM,
        akid,
        date,
        region,
        service,
        _parse_signed_headers(unquote(q["X-Amz-SignedHeaders"])),
        unquote(q["X-Amz-Signature"]),
        unquote(q["X-Amz-Date"]),
        expires,
        unquote(token) if token is not None else None,
    )


# --------------------------------------------------------------------------
# verification


def _mismatch(s3: bool) -> SigV4Error:
    if s3:
        msg = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method."
        )
    else:
        msg = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details."
        )
    return SigV4Error("SignatureDoesNotMatch", msg)


def _check_time(auth: AuthInfo, now: datetime.datetime, s3: bool) -> None:
    when = _amz_epoch(auth.amz_date)
    if when is None:
        raise _incomplete(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"."
        )
    if auth.amz_date[:8] != auth.scope_date:
        raise SigV4Error(
            "SignatureDoesNotMatch",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{auth.scope_date}' != '{auth.amz_date[:8]}', from '{auth.amz_date}'.",
        )
    now_s = _epoch(now)
    if auth.style == "query" and auth.expires is not None:
        if not 1 <= auth.expires <= MAX_EXPIRES:
            raise SigV4Error(
                "AccessDenied" if s3 else "IncompleteSignature",
                "X-Amz-Expires must be between 1 and 604800 seconds (one week).",
            )
        if when - now_s > _MAX_SKEW_S:
            raise SigV4Error(
                "AccessDenied" if s3 else "RequestTimeTooSkewed", "Request is not valid yet"
            )
        if now_s > when + auth.expires:
            raise SigV4Error("AccessDenied" if s3 else "RequestExpired", "Request has expired")
        return
    if abs(now_s - when) > _MAX_SKEW_S:
        raise SigV4Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large: "
            f"request time {auth.amz_date}, server time "
            f"{_format_amz_date(datetime.datetime.fromtimestamp(now_s, _UTC))}, "
            "at most 15 minutes allowed.",
        )


def _payload_hashes(
    auth: AuthInfo, hdrs: dict[str, list[str]], body: bytes | None, s3: bool
) -> list[str]:
    """The payload line(s) of the canonical request: the first is the one
    AWS would use, any others are accepted variants."""
    values = hdrs.get("x-amz-content-sha256")
    if values is not None:
        if len(values) != 1:
            raise SigV4Error("InvalidArgument", "x-amz-content-sha256 appears more than once.")
        v = values[0].strip()
        if _HEX64_RE.fullmatch(v):
            if body is not None and hashlib.sha256(body).hexdigest() != v.lower():
                if s3:
                    raise SigV4Error(
                        "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    )
                raise _mismatch(False)
            return [v]
        if v in _LITERAL_PAYLOADS:
            return [v]
        if v in _SIGV4A_PAYLOADS:
            raise _unsupported_algorithm(SIGV4A_ALGORITHM)
        raise SigV4Error(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
            "or a valid sha256 value.",
        )
    if auth.style == "query":
        if s3:
            return [UNSIGNED_PAYLOAD]
        h = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        return [h, UNSIGNED_PAYLOAD]
    if s3:
        raise SigV4Error(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    if body is None:
        raise ValueError("verify() needs the body for a request without x-amz-content-sha256")
    return [hashlib.sha256(body).hexdigest()]


def verify(
    auth: AuthInfo,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    secret: str,
    now: datetime.datetime,
    *,
    s3: bool,
) -> None:
    """Check a request's SigV4 signature against `secret`; raise SigV4Error if it fails.

    Checks that host is signed, the time (15 minutes' skew, or a presigned
    URL's expiry), the body against a literal x-amz-content-sha256 (when
    `body` is not None), and the signature itself.  `body` may be None only
    when the payload hash is in x-amz-content-sha256 (or the URL is
    presigned): the caller then checks the body (or aws-chunked signatures)
    itself.  The host value is the Host header when there is one (what the
    client signed), else the URL's authority (HTTP/2 has no Host header).
    A signed ``expect`` header that the proxy has consumed is taken to have
    been ``100-continue``.
    """
    if auth.algorithm != ALGORITHM:
        raise _unsupported_algorithm(auth.algorithm)
    signed = auth.signed_headers
    if "host" not in signed:
        raise _incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    _check_time(auth, now, s3)

    scheme, authority, path, query = _split_url(url)
    hdrs = _collect(headers)
    payloads = _payload_hashes(auth, hdrs, body, s3)

    lines = []
    for name in signed:
        values = hdrs.get(name)
        if values is not None:
            lines.append(f"{name}:{_canon_value(values)}\n")
        elif name == "host":
            lines.append(f"host:{_host_value(scheme, authority)}\n")
        elif name == "expect":
            lines.append("expect:100-continue\n")
        else:
            raise SigV4Error(
                "SignatureDoesNotMatch",
                f"Header {name[:64]!r} is listed in SignedHeaders but is not in the request.",
            )
    head = f"{method.upper()}\n"
    tail = "".join(lines) + "\n" + ";".join(signed) + "\n"
    scope = auth.scope
    key = DEFAULT_KEY_CACHE._entry(secret, auth.scope_date, auth.region, auth.service)
    given = auth.signature.encode("utf-8", "surrogateescape")
    query_auth = auth.style == "query"

    tried: set[str] = set()
    for cpath, cquery, payload in _candidates(path, query, payloads, s3, query_auth):
        cr = f"{head}{cpath}\n{cquery}\n{tail}{payload}"
        if cr in tried:
            continue
        tried.add(cr)
        sig = key.hexmac(_string_to_sign(auth.amz_date, scope, cr))
        if hmac.compare_digest(sig.encode("ascii"), given):
            return
    raise _mismatch(s3)


def _candidates(path: str, query: str, payloads: list[str], s3: bool, query_auth: bool):
    """(canonical path, canonical query, payload) to try, most likely first.

    The first is botocore's (== AWS's for a correctly encoded URL); the rest
    only run when it fails, and cover other SDKs' readings of an oddly
    encoded URL: a path that was not encoded the canonical way, a non-S3
    path that was not normalised, a raw query, ``+`` meaning a space.
    """
    first_path = _canonical_path(path, s3)
    first_query = _canonical_query_cached(query, 0, query_auth)
    for payload in payloads:
        yield first_path, first_query, payload
    if s3:
        paths = [first_path, _requote_path(path or "/")]
    else:
        paths = [
            first_path,
            quote(path or "/", safe="/~", errors="surrogateescape"),
            _remove_dot_segments(path),
        ]
    queries = [first_query, _canonical_query(query, 1, query_auth)]
    if "+" in query:
        queries.append(_canonical_query(query, 2, query_auth))
    for p in paths:
        for qs in queries:
            for payload in payloads:
                yield p, qs, payload


# --------------------------------------------------------------------------
# signing


_KEEP, _SIGN, _HOST, _NEVER, _OWNED = range(5)
_KIND_CACHE: dict[str, tuple[str, int]] = {}


def _signer_kind(name: str) -> tuple[str, int]:
    """(lowercase name, what the signer does with it), cached per spelling."""
    hit = _KIND_CACHE.get(name)
    if hit is not None:
        return hit
    k = name.lower()
    if k in _SIGNER_OWNED:
        kind = _OWNED
    elif k == "host":
        kind = _HOST
    elif k in NEVER_SIGN or k == "date":
        kind = _NEVER
    elif k.startswith("x-amz-") or k == "content-type" or k == "content-md5":
        kind = _SIGN
    else:
        kind = _KEEP  # signed only when listed in `signed`
    if len(_KIND_CACHE) > 4096:
        _KIND_CACHE.clear()
    _KIND_CACHE[name] = (k, kind)
    return k, kind


def sign_request(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    payload_hash: str,
    creds: Credentials,
    region: str,
    service: str,
    now: datetime.datetime,
    *,
    s3: bool,
    signed: Iterable[str] = (),
) -> SignedRequest:
    """Sign a request with `creds`; see `sign`.  Also returns what aws-chunked
    re-signing needs (the seed signature, signing key, date and scope)."""
    scheme, authority, path, query = _split_url(url)
    host = _host_value(scheme, authority)
    amz_date = _format_amz_date(now)
    date = amz_date[:8]
    extra = {n.lower() for n in signed} if signed else ()

    out: list[tuple[str, str]] = []
    to_sign: dict[str, list[str]] = {}
    had_sha = False
    host_done = False
    for name, value in headers:
        k, kind = _signer_kind(name)
        if kind == _KEEP:
            out.append((name, value))
            if k not in extra:
                continue
        elif kind == _SIGN:
            out.append((name, value))
        elif kind == _HOST:
            if not host_done:
                out.append((name, host))
                host_done = True
            continue
        elif kind == _NEVER:
            out.append((name, value))
            continue
        else:  # _OWNED
            if k == "x-amz-content-sha256":
                had_sha = True
            continue
        vs = to_sign.get(k)
        if vs is None:
            to_sign[k] = [value]
        else:
            vs.append(value)

    to_sign["host"] = [host]
    out.append(("X-Amz-Date", amz_date))
    to_sign["x-amz-date"] = [amz_date]
    if creds.token:
        out.append(("X-Amz-Security-Token", creds.token))
        to_sign["x-amz-security-token"] = [creds.token]
    if s3 or had_sha:
        out.append(("X-Amz-Content-SHA256", payload_hash))
        to_sign["x-amz-content-sha256"] = [payload_hash]

    names = sorted(to_sign)
    signed_line = ";".join(names)
    cr = (
        f"{method.upper()}\n{_canonical_path(path, s3)}\n{_canonical_query_cached(query)}\n"
        + "".join([f"{n}:{_canon_value(to_sign[n])}\n" for n in names])
        + f"\n{signed_line}\n{payload_hash}"
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    key = DEFAULT_KEY_CACHE._entry(creds.secret_key, date, region, service)
    sig = key.hexmac(_string_to_sign(amz_date, scope, cr))
    out.append(
        (
            "Authorization",
            f"{ALGORITHM} Credential={creds.access_key}/{scope}, "
            f"SignedHeaders={signed_line}, Signature={sig}",
        )
    )
    return SignedRequest(out, sig, amz_date, scope, tuple(names), key.key)


def sign(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    payload_hash: str,
    creds: Credentials,
    region: str,
    service: str,
    now: datetime.datetime,
    *,
    s3: bool,
    signed: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """The headers to send upstream, signed with `creds`.

    Drops the input's Authorization, X-Amz-Date, X-Amz-Security-Token and
    X-Amz-Content-SHA256 (a Date header stays, unsigned), then appends
    X-Amz-Date, X-Amz-Security-Token (when creds.token), X-Amz-Content-SHA256
    = `payload_hash` (for S3, which requires it, or when the input had one)
    and Authorization.

    Signs host, x-amz-date, x-amz-security-token, x-amz-content-sha256,
    every other x-amz-* header, content-type and content-md5 when present,
    and the names in `signed` that are present -- but never a header in
    NEVER_SIGN (hop-by-hop, proxy, user-agent, tracing) nor Date.

    The signed host is the URL's authority (lowercase, default port dropped),
    not the input's Host header: the gateway decides where the call goes.  A
    Host header in the input is rewritten to that value; when there is none
    (HTTP/2) the caller must send the URL's authority as :authority.

    The canonical request is botocore's for the same headers: the result's
    Authorization equals SigV4Auth's (S3SigV4Auth's when `s3`).
    """
    return sign_request(
        method, url, headers, payload_hash, creds, region, service, now, s3=s3, signed=signed
    ).headers


def presign(
    method: str,
    url: str,
    headers: list[tuple[str, str]] | None,
    creds: Credentials,
    region: str,
    service: str,
    now: datetime.datetime,
    expires: int,
    *,
    s3: bool,
    signed: Iterable[str] = ("host",),
    payload_hash: str | None = None,
) -> str:
    """A presigned URL for the request, signed with `creds`.

    The input's X-Amz-* auth parameters (algorithm, credential, date,
    expires, signed headers, security token, signature) are dropped, the
    other parameters kept in order (decoded and re-encoded as botocore does:
    ``+`` reads as a space; repeated names are kept, where botocore keeps
    only the first), then the gateway's auth parameters follow, and
    X-Amz-Signature last -- botocore's SigV4QueryAuth/S3SigV4QueryAuth URL.

    Signs host (the URL's authority) and the names in `signed` present in
    `headers` (never NEVER_SIGN).  The payload line is an x-amz-content-sha256
    header's value when one is present, else UNSIGNED-PAYLOAD for S3 and
    `payload_hash` (default: the empty body's hash) for other services.
    """
    if not 1 <= expires <= MAX_EXPIRES:
        raise ValueError("expires must be between 1 and 604800 seconds")
    scheme, authority, path, query = _split_url(url)
    host = _host_value(scheme, authority)
    amz_date = _format_amz_date(now)
    date = amz_date[:8]
    hdrs = _collect(headers or ())
    names = {"host"}
    for n in signed:
        k = n.lower()
        if k in hdrs and k not in NEVER_SIGN:
            names.add(k)
    names_sorted = sorted(names)
    signed_line = ";".join(names_sorted)

    ops = []
    if query:
        for part in query.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            if k.lower() in _QUERY_AUTH_PARAMS:
                continue
            ops.append(f"{_encode_component(k, True)}={_encode_component(v, True)}")
    scope = f"{date}/{region}/{service}/aws4_request"
    auth_params = (
        f"X-Amz-Algorithm={ALGORITHM}"
        f"&X-Amz-Credential={quote(creds.access_key, safe='-_.~')}%2F{date}%2F"
        f"{quote(region, safe='-_.~')}%2F{quote(service, safe='-_.~')}%2Faws4_request"
        f"&X-Amz-Date={amz_date}&X-Amz-Expires={expires}"
        f"&X-Amz-SignedHeaders={quote(signed_line, safe='-_.~')}"
    )
    if creds.token is not None:
        auth_params += f"&X-Amz-Security-Token={quote(creds.token, safe='-_.~')}"
    new_query = "&".join(ops + [auth_params])

    header_block = "".join(
        [
            f"{n}:{host if n == 'host' else _canon_value(hdrs[n])}\n"
            for n in names_sorted
        ]
    )
    if "x-amz-content-sha256" in hdrs:
        payload = _canon_value(hdrs["x-amz-content-sha256"])
    elif s3:
        payload = UNSIGNED_PAYLOAD
    else:
        payload = payload_hash or EMPTY_SHA256
    cr = (
        f"{method.upper()}\n{_canonical_path(path, s3)}\n{_canonical_query(new_query, 1)}\n"
        f"{header_block}\n{signed_line}\n{payload}"
    )
    key = DEFAULT_KEY_CACHE._entry(creds.secret_key, date, region, service)
    sig = key.hexmac(_string_to_sign(amz_date, scope, cr))
    prefix = f"{scheme}://{authority}" if scheme else ""
    return f"{prefix}{path}?{new_query}&X-Amz-Signature={sig}"

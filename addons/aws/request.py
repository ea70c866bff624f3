"""A raw HTTP request, split once into the parts routing and parsing read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]


def lower_headers(headers: HeadersLike) -> dict[str, str]:
    """Header names lowercased; repeated headers joined with ',' (RFC 9110)."""
    if hasattr(headers, "fields"):  # mitmproxy's Headers: keep repeated fields
        pairs = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.fields)
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    else:
        pairs = headers
    out: dict[str, str] = {}
    for name, value in pairs:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        name = name.lower()
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


@dataclass
class Request:
    method: str
    host: str
    path: str  # as sent, still percent-encoded
    query: str  # as sent
    headers: dict[str, str]
    body: bytes

    @classmethod
    def build(cls, method: str, url: str, headers: HeadersLike, body: bytes | None) -> Request:
        parts = urlsplit(url)
        lowered = lower_headers(headers)
        host = lowered.setdefault("host", parts.netloc)  # HTTP/2 sends :authority instead
        if isinstance(body, str):
            body = body.encode("utf-8")
        return cls(method.upper(), host.lower(), parts.path or "/", parts.query, lowered, body or b"")

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}" + (f"?{self.query}" if self.query else "")

    @cached_property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    @cached_property
    def query_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in self.query_pairs:
            out.setdefault(k, []).append(v)
        return out

    @cached_property
    def form(self) -> dict[str, str]:
        """Query-protocol parameters: the form body, else the query string."""
        ctype = self.headers.get("content-type", "")
        if self.body and "x-www-form-urlencoded" in ctype:
            pairs = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            pairs = self.query_pairs
        return dict(pairs)

"""Request bodies on their way upstream: which uploads stream, and the stream
functions that check (and for signed chunks, re-sign) them as they pass.

An upload streams when it is large and its signature does not need the whole
body first: S3-style requests that state their payload hash in
x-amz-content-sha256 (a literal hash, UNSIGNED-PAYLOAD or an aws-chunked
mode). Everything else is buffered, up to the body limit.
"""

from __future__ import annotations

import hashlib
import hmac

from .chunked import ChunkResigner, ChunkSigner
from .sigv4 import SigV4Error

STREAM_ABOVE = 4 * 1024 * 1024
HASH_IN_THREAD = 1 << 20  # buffered bodies above this are hashed off the event loop
_HOLD_BACK = 1  # bytes kept until a literal payload hash has been checked


def expected_size(headers) -> int | None:
    for name in ("x-amz-decoded-content-length", "content-length"):
        value = headers.get(name)
        if value is not None:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def streamable(headers) -> bool:
    """Can this request be checked and signed from its headers alone?"""
    mode = headers.get("x-amz-content-sha256")
    return mode is not None and "authorization" in headers


class _Checked:
    """A stream function that, at the first failed check, sends zeros instead
    of the rest of the body.

    The request upstream keeps its declared length, so the upstream answers
    rather than waiting for bytes that never come, and that answer reaches
    the agent; but what it gets is no longer a valid aws-chunked body or the
    body its hash states, so nothing lands. `on_error` records why.
    """

    def __init__(self, on_error):
        self.on_error = on_error
        self.failed = False
        self.seen = self.sent = 0

    def __call__(self, data: bytes) -> bytes:
        self.seen += len(data)
        if not self.failed:
            try:
                out = self.step(data)
                self.sent += len(out)
                return out
            except SigV4Error as e:
                self.failed = True
                self.on_error(e)
        filler = b"\0" * (self.seen - self.sent)
        self.sent = self.seen
        return filler

    def step(self, data: bytes) -> bytes:
        raise NotImplementedError


class HashCheck(_Checked):
    """Streams a body through while hashing it; the last byte is held back
    until the hash matches the literal x-amz-content-sha256."""

    def __init__(self, expected_hex: str, on_error):
        super().__init__(on_error)
        self.expected = expected_hex.lower()
        self.sha = hashlib.sha256()
        self.held = b""

    def step(self, data: bytes) -> bytes:
        if data:
            self.sha.update(data)
            joined = self.held + data
            out, self.held = joined[:-_HOLD_BACK], joined[-_HOLD_BACK:]
            return out
        if not hmac.compare_digest(self.sha.hexdigest(), self.expected):
            raise SigV4Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        return self.held


class ChunkStream(_Checked):
    """Verifies the agent's chunk signatures and signs each chunk again for
    the gateway, as the body streams (or all at once for a buffered body)."""

    def __init__(self, mode: str, agent: ChunkSigner, gateway: ChunkSigner, decoded_length, trailers, on_error):
        super().__init__(on_error)
        self.resigner = ChunkResigner(
            mode, agent, gateway, decoded_length=decoded_length, declared_trailers=trailers
        )

    def step(self, data: bytes) -> bytes:
        return self.resigner.feed(data) if data else self.resigner.finish()

    def whole(self, body: bytes) -> bytes:
        """A buffered body, re-signed; raises SigV4Error if a chunk fails."""
        return self.resigner.feed(body) + self.resigner.finish()

"""aws-chunked request bodies: decode, verify chunk signatures, re-sign.

S3 uploads carry their payload in ``Content-Encoding: aws-chunked`` framing
in one of three modes, named by the ``x-amz-content-sha256`` header:

``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``
    ``hex(size);chunk-signature=SIG\\r\\n<data>\\r\\n`` ... and a final
    ``0;chunk-signature=SIG\\r\\n\\r\\n``.  Each signature chains from the one
    before it, the first from the Authorization header's (the "seed"); the
    string to sign is ``AWS4-HMAC-SHA256-PAYLOAD\\n<amz-date>\\n<scope>\\n
    <previous signature>\\n<sha256("")>\\n<sha256(chunk data)>``.
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER``
    The same chunks; after the final chunk come trailing headers
    (``x-amz-checksum-crc32:...\\r\\n``) and ``x-amz-trailer-signature:SIG\\r\\n``
    then ``\\r\\n``.  The trailer's string to sign is
    ``AWS4-HMAC-SHA256-TRAILER\\n<amz-date>\\n<scope>\\n<final chunk signature>\\n
    <sha256 of the trailers as "name:value\\n" lines>``.
``STREAMING-UNSIGNED-PAYLOAD-TRAILER``
    What boto3 and the AWS CLI send by default for PutObject/UploadPart:
    ``hex(size)\\r\\n<data>\\r\\n`` ... ``0\\r\\n``, the trailers, ``\\r\\n``
    (botocore's AwsChunkedWrapper).  Nothing to verify or re-sign here: the
    header signature covers the literal mode and S3 checks the checksum.

`ChunkedDecoder` decodes incrementally with bounded memory (a chunk header
line, a chunk and the trailers each have a cap); `ChunkResigner` verifies
the agent's chunk signatures and writes the same framing (same chunk
boundaries, same size text, so the same length) signed by the gateway.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Iterable, Mapping

from .sigv4 import (
    EMPTY_SHA256,
    STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    AuthInfo,
    SignedRequest,
    SigV4Error,
    hmac_sha256_hex,
    signing_key,
)

__all__ = [
    "SIGNED_MODES",
    "STREAMING_MODES",
    "ChunkSigner",
    "ChunkedDecoder",
    "ChunkedError",
    "ChunkResigner",
    "decode_chunked",
    "decoded_length",
    "encode_signed_chunks",
    "encode_unsigned_chunks",
    "encoded_length",
    "resign_chunked",
]

SIGNED_MODES = frozenset({STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER})
STREAMING_MODES = SIGNED_MODES | {STREAMING_UNSIGNED_PAYLOAD_TRAILER}

MAX_LINE = 4096  # a chunk header or trailer line
MAX_CHUNK_SIZE = 16 * 1024 * 1024  # SDKs use 64 KiB (signed) to 1 MiB (botocore, unsigned)
MAX_TRAILER_BYTES = 16 * 1024
_SIG_LEN = 64
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SIG_CHARS = frozenset(b"0123456789abcdef")
_TRAILER_SIGNATURE = "x-amz-trailer-signature"


class ChunkedError(SigV4Error):
    """A malformed, truncated, oversized or wrongly signed aws-chunked body."""


def _bad(message: str) -> ChunkedError:
    return ChunkedError("InvalidRequest", f"Invalid aws-chunked body: {message}")


class ChunkSigner:
    """The chain of chunk signatures for one request.

    Built from a signing key, the request's X-Amz-Date and credential scope,
    and the seed (the request's own signature).  `chunk` signs the next
    chunk and advances the chain; `trailer` signs the trailing headers.
    """

    __slots__ = ("_mac", "_chunk_prefix", "_trailer_prefix", "previous")

    def __init__(self, signing_key: bytes, amz_date: str, scope: str, seed_signature: str):
        self._mac = hmac_sha256_hex(signing_key)
        self._chunk_prefix = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n"
        self._trailer_prefix = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n"
        self.previous = seed_signature

    @classmethod
    def for_agent(cls, auth: AuthInfo, secret: str) -> ChunkSigner:
        """The chain the agent signed with (its header signature is the seed)."""
        key = signing_key(secret, auth.scope_date, auth.region, auth.service)
        return cls(key, auth.amz_date, auth.scope, auth.signature)

    @classmethod
    def for_request(cls, signed: SignedRequest) -> ChunkSigner:
        """The chain for a request the gateway signed with `sigv4.sign_request`."""
        return cls(signed.signing_key, signed.amz_date, signed.scope, signed.signature)

    def chunk_hash(self, data_sha256_hex: str) -> str:
        sts = f"{self._chunk_prefix}{self.previous}\n{EMPTY_SHA256}\n{data_sha256_hex}"
        sig = self._mac(sts.encode("utf-8"))
        self.previous = sig
        return sig

    def chunk(self, data: bytes) -> str:
        return self.chunk_hash(hashlib.sha256(data).hexdigest())

    def trailer(self, trailers: Iterable[tuple[str, str]]) -> str:
        canonical = "".join(f"{n}:{v}\n" for n, v in trailers)
        digest = hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()
        sts = f"{self._trailer_prefix}{self.previous}\n{digest}"
        return self._mac(sts.encode("utf-8"))

    def __repr__(self) -> str:
        return "ChunkSigner(...)"


def _check_mode(mode: str) -> None:
    if mode not in STREAMING_MODES:
        raise ValueError(f"not an aws-chunked mode: {mode!r}")


class ChunkedDecoder:
    """Incremental aws-chunked decoder.

    ``feed(data)`` returns the payload bytes decoded so far (for signed modes,
    a chunk is released only once its signature has been verified);
    ``finish()`` checks the body ended properly and returns the trailers as
    a dict (lowercase name -> value, without x-amz-trailer-signature).

    Signed modes need a `verifier` (`ChunkSigner.for_agent`) unless
    `unverified=True` is passed explicitly.  `decoded_length` (the
    x-amz-decoded-content-length header) is enforced when given, and
    `declared_trailers` (the x-amz-trailer header) when given.
    """

    _HEADER, _DATA, _DATA_END, _TRAILER, _DONE = range(5)

    def __init__(
        self,
        mode: str,
        *,
        verifier: ChunkSigner | None = None,
        unverified: bool = False,
        decoded_length: int | None = None,
        declared_trailers: str | None = None,
        max_line: int = MAX_LINE,
        max_chunk_size: int = MAX_CHUNK_SIZE,
        max_trailer_bytes: int = MAX_TRAILER_BYTES,
    ):
        _check_mode(mode)
        self.mode = mode
        self.signed = mode in SIGNED_MODES
        self.trailer_allowed = mode != STREAMING_SIGNED_PAYLOAD
        if self.signed and verifier is None and not unverified:
            raise ValueError("a signed aws-chunked mode needs a verifier (or unverified=True)")
        self._verifier = verifier if self.signed else None
        self._expected_length = decoded_length
        self._declared = (
            None
            if declared_trailers is None
            else {t.strip().lower() for t in declared_trailers.split(",") if t.strip()}
        )
        self._max_line = max_line
        self._max_chunk = max_chunk_size
        self._max_trailer = max_trailer_bytes

        self._buf = bytearray()
        self._state = self._HEADER
        self._need = 0  # bytes of chunk data still to read
        self._chunk_parts: list[bytes] = []  # the current chunk (signed modes)
        self._chunk_hash = None
        self._chunk_sig = ""
        self._size_text = b""
        self.decoded = 0  # payload bytes so far
        self.chunks = 0
        self.trailers: dict[str, str] = {}
        self._trailer_list: list[tuple[str, str]] = []
        self._trailer_raw: list[bytes] = []
        self._trailer_bytes = 0
        self._trailer_sig: str | None = None
        self._trailer_sig_raw = b""

    # -- hooks a subclass overrides -------------------------------------
    def _chunk_done(self, size_text: bytes, data: bytes, out: list[bytes]) -> None:
        """A data chunk is complete (and verified): emit it."""
        if not self.signed:
            return  # unsigned data was emitted as it arrived
        out.append(data)

    def _final_done(self, size_text: bytes, out: list[bytes]) -> None:
        """The final (zero-size) chunk header was read (and verified)."""

    def _end_done(self, out: list[bytes]) -> None:
        """The body ended (after the trailers, if any)."""

    # -- decoding ---------------------------------------------------------
    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        if data:
            if self._state == self._DONE:
                raise _bad("data after the end of the body")
            self._buf += data
            self._run(out)
        return b"".join(out)

    def finish(self) -> dict[str, str]:
        out: list[bytes] = []
        self._finish(out)
        return self.trailers

    def _finish(self, out: list[bytes]) -> None:
        if self._state != self._DONE:
            raise ChunkedError(
                "IncompleteBody", "The aws-chunked body ended before its final chunk."
            )
        if self._buf:
            raise _bad("data after the end of the body")

    def _run(self, out: list[bytes]) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        while pos < n:
            st = self._state
            if st == self._DATA:
                take = min(self._need, n - pos)
                piece = bytes(buf[pos : pos + take])
                pos += take
                self._need -= take
                self.decoded += take
                if self._expected_length is not None and self.decoded > self._expected_length:
                    raise ChunkedError(
                        "IncompleteBody",
                        "The aws-chunked body holds more than x-amz-decoded-content-length bytes.",
                    )
                if self.signed:
                    self._chunk_parts.append(piece)
                    self._chunk_hash.update(piece)
                else:
                    out.append(piece)
                if self._need == 0:
                    self._state = self._DATA_END
            elif st == self._DATA_END:
                if n - pos < 2:
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    raise _bad("chunk data is not followed by CRLF")
                pos += 2
                self._complete_chunk(out)
                self._state = self._HEADER
            elif st == self._DONE:
                raise _bad("data after the end of the body")
            else:
                eol = buf.find(b"\r\n", pos, pos + self._max_line + 2)
                if eol < 0:
                    if n - pos > self._max_line:
                        raise _bad("a chunk header or trailer line is too long")
                    break
                line = bytes(buf[pos:eol])
                pos = eol + 2
                if st == self._HEADER:
                    self._header_line(line, out)
                else:
                    self._trailer_line(line, out)
        del buf[:pos]

    def _header_line(self, line: bytes, out: list[bytes]) -> None:
        size_text, _, ext = line.partition(b";")
        size_text = size_text.strip(b" \t")
        if not size_text or len(size_text) > 16 or not set(size_text) <= _HEX:
            raise _bad("a chunk size is not hexadecimal")
        size = int(size_text, 16)
        if size > self._max_chunk:
            raise _bad(f"a chunk is larger than {self._max_chunk} bytes")
        sig = None
        for item in ext.split(b";") if ext else ():
            k, eq, v = item.partition(b"=")
            if k.strip() == b"chunk-signature":
                v = v.strip()
                if sig is not None or len(v) != _SIG_LEN or not set(v) <= _SIG_CHARS:
                    raise _bad("a chunk-signature is malformed")
                sig = v.decode("ascii")
        if self.signed and sig is None:
            raise _bad("a chunk has no chunk-signature")
        if not self.signed and sig is not None:
            raise _bad("a chunk-signature in an unsigned aws-chunked body")
        self._size_text = size_text
        self._chunk_sig = sig or ""
        self.chunks += 1
        if size == 0:
            if self._verifier is not None:
                self._check_sig(self._verifier.chunk_hash(EMPTY_SHA256), sig)
            self._final_done(size_text, out)
            self._state = self._TRAILER
            return
        self._need = size
        self._chunk_parts = []
        self._chunk_hash = hashlib.sha256() if self.signed else None
        self._state = self._DATA

    def _complete_chunk(self, out: list[bytes]) -> None:
        data = b""
        if self.signed:
            data = b"".join(self._chunk_parts)
            self._chunk_parts = []
            if self._verifier is not None:
                self._check_sig(
                    self._verifier.chunk_hash(self._chunk_hash.hexdigest()), self._chunk_sig
                )
        self._chunk_done(self._size_text, data, out)

    @staticmethod
    def _check_sig(expected: str, given: str | None) -> None:
        if given is None or not hmac.compare_digest(expected.encode(), given.encode()):
            raise ChunkedError(
                "SignatureDoesNotMatch",
                "The chunk signature we calculated does not match the chunk-signature you provided.",
            )

    def _trailer_line(self, line: bytes, out: list[bytes]) -> None:
        if not line:
            self._end(out)
            return
        if not self.trailer_allowed:
            raise _bad("trailing headers in a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body")
        self._trailer_bytes += len(line) + 2
        if self._trailer_bytes > self._max_trailer:
            raise _bad("the trailing headers are too large")
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise _bad("a trailing header line has no name")
        k = name.strip().decode("ascii", "replace").lower()
        v = value.strip().decode("utf-8", "surrogateescape")
        if self._trailer_sig is not None:
            raise _bad("a trailing header after x-amz-trailer-signature")
        if k == _TRAILER_SIGNATURE:
            if not self.signed:
                raise _bad("x-amz-trailer-signature in an unsigned aws-chunked body")
            self._trailer_sig = v
            self._trailer_sig_raw = line
            return
        if k in self.trailers:
            raise _bad(f"trailing header {k[:64]!r} appears twice")
        self.trailers[k] = v
        self._trailer_list.append((k, v))
        self._trailer_raw.append(line)

    def _end(self, out: list[bytes]) -> None:
        if self.signed and self._trailer_list:
            if self._trailer_sig is None:
                raise _bad("trailing headers without x-amz-trailer-signature")
            if self._verifier is not None:
                self._check_sig(self._verifier.trailer(self._trailer_list), self._trailer_sig)
        if self._declared is not None and set(self.trailers) != self._declared:
            raise _bad("the trailing headers do not match x-amz-trailer")
        if self._expected_length is not None and self.decoded != self._expected_length:
            raise ChunkedError(
                "IncompleteBody",
                "You did not provide the number of bytes specified by the "
                "x-amz-decoded-content-length HTTP header.",
            )
        self._end_done(out)
        self._state = self._DONE


class ChunkResigner(ChunkedDecoder):
    """Verify an agent's signed aws-chunked body and sign it again for the gateway.

    ``feed(data)`` returns wire bytes to send upstream; ``finish()`` returns
    the last of them (the decoded trailers are in `.trailers`).  The chunk
    boundaries, the chunk-size text and the trailer lines are kept as the
    agent sent them, so the output is exactly as long as the input and
    Content-Length / x-amz-decoded-content-length stay right.

    Only the signed modes need this; a STREAMING-UNSIGNED-PAYLOAD-TRAILER
    body goes upstream unchanged.
    """

    def __init__(
        self, mode: str, verifier: ChunkSigner | None, signer: ChunkSigner, **kwargs
    ):
        if mode not in SIGNED_MODES:
            raise ValueError(f"{mode!r} has no chunk signatures to re-sign")
        super().__init__(mode, verifier=verifier, **kwargs)
        self._signer = signer

    def _chunk_done(self, size_text: bytes, data: bytes, out: list[bytes]) -> None:
        sig = self._signer.chunk(data)
        out.append(b"%s;chunk-signature=%s\r\n" % (size_text, sig.encode()))
        out.append(data)
        out.append(b"\r\n")

    def _final_done(self, size_text: bytes, out: list[bytes]) -> None:
        sig = self._signer.chunk_hash(EMPTY_SHA256)
        out.append(b"%s;chunk-signature=%s\r\n" % (size_text, sig.encode()))

    def _end_done(self, out: list[bytes]) -> None:
        for raw in self._trailer_raw:
            out.append(raw + b"\r\n")
        if self._trailer_list:
            sig = self._signer.trailer(self._trailer_list).encode()
            raw = self._trailer_sig_raw
            prefix = raw[: len(raw) - _SIG_LEN] if raw.endswith(self._trailer_sig.encode()) else b""
            if not prefix.lower().startswith(b"x-amz-trailer-signature"):
                prefix = b"x-amz-trailer-signature:"
            out.append(prefix + sig + b"\r\n")
        out.append(b"\r\n")

    def finish(self) -> bytes:  # type: ignore[override]
        out: list[bytes] = []
        self._finish(out)
        return b"".join(out)


# --------------------------------------------------------------------------
# whole-body helpers


def decode_chunked(
    body: bytes,
    mode: str,
    *,
    verifier: ChunkSigner | None = None,
    unverified: bool = False,
    decoded_length: int | None = None,
    declared_trailers: str | None = None,
    max_chunk_size: int = MAX_CHUNK_SIZE,
) -> tuple[bytes, dict[str, str]]:
    """Decode (and, for signed modes, verify) a whole aws-chunked body.

    Returns (payload, trailers).  Raises ChunkedError (a SigV4Error) with
    SignatureDoesNotMatch, IncompleteBody or InvalidRequest.
    """
    dec = ChunkedDecoder(
        mode,
        verifier=verifier,
        unverified=unverified,
        decoded_length=decoded_length,
        declared_trailers=declared_trailers,
        max_chunk_size=max_chunk_size,
    )
    payload = dec.feed(body)
    trailers = dec.finish()
    return payload, trailers


def resign_chunked(
    body: bytes,
    mode: str,
    verifier: ChunkSigner | None,
    signer: ChunkSigner,
    *,
    decoded_length: int | None = None,
    declared_trailers: str | None = None,
) -> bytes:
    """Verify an agent's signed aws-chunked body and return it signed by `signer`."""
    r = ChunkResigner(
        mode,
        verifier,
        signer,
        decoded_length=decoded_length,
        declared_trailers=declared_trailers,
    )
    return r.feed(body) + r.finish()


def decoded_length(headers: Iterable[tuple[str, str]]) -> int | None:
    """The x-amz-decoded-content-length header as an int (None when absent).

    Raises ChunkedError when it is present but not a plain non-negative integer.
    """
    found = None
    for name, value in headers:
        if name.lower() == "x-amz-decoded-content-length":
            if found is not None:
                raise _bad("x-amz-decoded-content-length appears twice")
            v = value.strip()
            if not (v.isascii() and v.isdigit()) or len(v) > 18:
                raise _bad("x-amz-decoded-content-length is not a number")
            found = int(v)
    return found


def _trailer_items(trailers) -> list[tuple[str, str]]:
    if trailers is None:
        return []
    items = trailers.items() if isinstance(trailers, Mapping) else trailers
    return [(n.lower(), v) for n, v in items]


def _split(payload_chunks, chunk_size: int) -> Iterable[bytes]:
    if isinstance(payload_chunks, (bytes, bytearray, memoryview)):
        data = bytes(payload_chunks)
        return [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
    return (bytes(c) for c in payload_chunks if c)


def encode_signed_chunks(
    payload_chunks,
    seed_signature: str,
    signing_key: bytes,
    amz_date: str,
    scope: str,
    chunk_size: int = 64 * 1024,
    trailers=None,
) -> bytes:
    """A signed aws-chunked body.

    `payload_chunks` is the payload as bytes (cut into `chunk_size` pieces)
    or an iterable of chunks (kept as given).  With `trailers` (a mapping or
    (name, value) pairs) the body is STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER,
    else STREAMING-AWS4-HMAC-SHA256-PAYLOAD.  `scope` is
    date/region/service/aws4_request.
    """
    signer = ChunkSigner(signing_key, amz_date, scope, seed_signature)
    out: list[bytes] = []
    for chunk in _split(payload_chunks, chunk_size):
        sig = signer.chunk(chunk)
        out.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), sig.encode(), chunk))
    out.append(b"0;chunk-signature=%s\r\n" % signer.chunk_hash(EMPTY_SHA256).encode())
    items = _trailer_items(trailers)
    if items:
        for n, v in items:
            out.append(f"{n}:{v}\r\n".encode("utf-8", "surrogateescape"))
        out.append(b"x-amz-trailer-signature:%s\r\n" % signer.trailer(items).encode())
    out.append(b"\r\n")
    return b"".join(out)


def encode_unsigned_chunks(payload_chunks, chunk_size: int = 1024 * 1024, trailers=None) -> bytes:
    """A STREAMING-UNSIGNED-PAYLOAD-TRAILER body, framed as botocore frames it."""
    out: list[bytes] = []
    for chunk in _split(payload_chunks, chunk_size):
        out.append(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    out.append(b"0\r\n")
    for n, v in _trailer_items(trailers):
        out.append(f"{n}:{v}\r\n".encode("utf-8", "surrogateescape"))
    out.append(b"\r\n")
    return b"".join(out)


def encoded_length(
    payload_length: int, chunk_size: int = 64 * 1024, *, signed: bool = True, trailers=None
) -> int:
    """The length of the body `encode_signed_chunks` (or, signed=False,
    `encode_unsigned_chunks`) produces for a payload of `payload_length` bytes."""
    sig_ext = len(";chunk-signature=") + _SIG_LEN if signed else 0
    total = 0
    full, rest = divmod(payload_length, chunk_size)
    for size, count in ((chunk_size, full), (rest, 1 if rest else 0)):
        if count:
            total += count * (len(f"{size:x}") + sig_ext + 2 + size + 2)
    total += 1 + sig_ext + 2  # final chunk
    items = _trailer_items(trailers)
    for n, v in items:
        total += len(f"{n}:{v}\r\n".encode("utf-8", "surrogateescape"))
    if items and signed:
        total += len("x-amz-trailer-signature:") + _SIG_LEN + 2
    return total + 2

"""A small, bounded CBOR (RFC 8949) decoder and encoder for Smithy RPC v2.

Only what the protocol uses: integers, byte and text strings (definite and
indefinite), arrays, maps, tag 1 (epoch timestamps), floats, true/false/null.
"""

from __future__ import annotations

import datetime
import math
import struct

MAX_DEPTH = 64


class CBORError(ValueError):
    pass


class Tagged:
    __slots__ = ("tag", "value")

    def __init__(self, tag: int, value):
        self.tag, self.value = tag, value


def decode(data: bytes):
    """One CBOR data item; trailing bytes are an error."""
    value, pos = _item(memoryview(data), 0, 0)
    if pos != len(data):
        raise CBORError(f"{len(data) - pos} trailing bytes after the CBOR item")
    return value


def _need(data, pos, n):
    if pos + n > len(data):
        raise CBORError("truncated CBOR data")


def _arg(data, pos, info):
    if info < 24:
        return info, pos
    if info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        _need(data, pos, n)
        return int.from_bytes(data[pos : pos + n], "big"), pos + n
    if info == 31:
        return None, pos  # indefinite length
    raise CBORError(f"reserved CBOR additional info {info}")


def _item(data, pos, depth):
    if depth > MAX_DEPTH:
        raise CBORError("CBOR nesting too deep")
    _need(data, pos, 1)
    initial = data[pos]
    pos += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 7:
        return _simple(data, pos, info)
    arg, pos = _arg(data, pos, info)
    if major == 0:
        return _definite(arg), pos
    if major == 1:
        return -1 - _definite(arg), pos
    if major in (2, 3):
        if arg is None:
            chunks = []
            while True:
                _need(data, pos, 1)
                if data[pos] == 0xFF:
                    pos += 1
                    break
                chunk, pos = _item(data, pos, depth + 1)
                chunks.append(chunk.encode() if isinstance(chunk, str) else chunk)
            raw = b"".join(chunks)
        else:
            _need(data, pos, arg)
            raw, pos = bytes(data[pos : pos + arg]), pos + arg
        if major == 3:
            try:
                return raw.decode("utf-8"), pos
            except UnicodeDecodeError as e:
                raise CBORError("invalid UTF-8 in a CBOR text string") from e
        return raw, pos
    if major == 4:
        items = []
        while arg is None or len(items) < arg:
            if arg is None:
                _need(data, pos, 1)
                if data[pos] == 0xFF:
                    return items, pos + 1
            value, pos = _item(data, pos, depth + 1)
            items.append(value)
        return items, pos
    if major == 5:
        out = {}
        count = 0
        while arg is None or count < arg:
            if arg is None:
                _need(data, pos, 1)
                if data[pos] == 0xFF:
                    return out, pos + 1
            key, pos = _item(data, pos, depth + 1)
            value, pos = _item(data, pos, depth + 1)
            if isinstance(key, (list, dict)):
                raise CBORError("a CBOR map key must be a scalar")
            out[key] = value
            count += 1
        return out, pos
    # major 6: a tag
    value, pos = _item(data, pos, depth + 1)
    if arg == 1 and isinstance(value, (int, float)):
        return _epoch(value), pos
    return Tagged(_definite(arg), value), pos


def _definite(arg):
    if arg is None:
        raise CBORError("indefinite length where a number was expected")
    return arg


def _simple(data, pos, info):
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info in (22, 23):
        return None, pos
    if info == 25:
        _need(data, pos, 2)
        return struct.unpack(">e", data[pos : pos + 2])[0], pos + 2
    if info == 26:
        _need(data, pos, 4)
        return struct.unpack(">f", data[pos : pos + 4])[0], pos + 4
    if info == 27:
        _need(data, pos, 8)
        return struct.unpack(">d", data[pos : pos + 8])[0], pos + 8
    raise CBORError(f"unsupported CBOR simple value {info}")


def _epoch(seconds) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError) as e:
        raise CBORError(f"timestamp out of range: {seconds}") from e


def encode(value) -> bytes:
    out = bytearray()
    _encode(out, value)
    return bytes(out)


def _head(out, major, n):
    if n < 24:
        out.append(major << 5 | n)
    elif n < 1 << 8:
        out += bytes((major << 5 | 24, n))
    elif n < 1 << 16:
        out.append(major << 5 | 25)
        out += n.to_bytes(2, "big")
    elif n < 1 << 32:
        out.append(major << 5 | 26)
        out += n.to_bytes(4, "big")
    else:
        out.append(major << 5 | 27)
        out += n.to_bytes(8, "big")


def _encode(out, value):
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        _head(out, 0, value) if value >= 0 else _head(out, 1, -1 - value)
    elif isinstance(value, float):
        if math.isnan(value):
            out += b"\xf9\x7e\x00"
        else:
            out.append(0xFB)
            out += struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(out, 3, len(raw))
        out += raw
    elif isinstance(value, (bytes, bytearray)):
        _head(out, 2, len(value))
        out += value
    elif isinstance(value, (list, tuple)):
        _head(out, 4, len(value))
        for item in value:
            _encode(out, item)
    elif isinstance(value, dict):
        _head(out, 5, len(value))
        for k, v in value.items():
            _encode(out, k)
            _encode(out, v)
    elif isinstance(value, datetime.datetime):
        out.append(0xC1)
        _encode(out, value.timestamp())
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")

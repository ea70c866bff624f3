"""The little HTTP/1.1 the gateway's own loopback endpoints speak (the
approvals control channel, the refusal sink): one request, one answer, close."""

from __future__ import annotations

import asyncio

async def read_head(reader: asyncio.StreamReader, max_head: int) -> tuple[str, str, dict[str, str]]:
    """(method, path, lowercased headers); ValueError for a head too large or malformed."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > max_head:
        raise ValueError("request head too large")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


async def answer(writer: asyncio.StreamWriter, status: int, headers: dict[str, str], body: bytes) -> None:
    """Write one response and close the connection."""
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    try:
        await writer.drain()
    finally:
        writer.close()

"""Refusing a request whose body is too large, with a proper answer.

mitmproxy can only answer a request after reading its body, which for an
oversized body is what must not happen. So the gateway streams such a request
to this loopback endpoint instead: it reads and drops the body as it comes and
answers with the error the gateway prepared (carried in a request header), so
the agent gets a native AWS error rather than a dropped connection.
"""

from __future__ import annotations

import asyncio
import base64
import json

from .aws.errors import ErrorResponse
from .loopback_http import answer, read_head

HEADER = "x-chaperone-refusal"
MAX_HEAD = 64 * 1024  # the agent's own headers come along


def encode(err: ErrorResponse) -> str:
    doc = {"status": err.status, "headers": err.headers, "body": base64.b64encode(err.body).decode()}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def _decode(value: str) -> ErrorResponse:
    doc = json.loads(base64.b64decode(value))
    return ErrorResponse(doc["status"], doc["headers"], base64.b64decode(doc["body"]))


class RefusalSink:
    def __init__(self) -> None:
        self.server: asyncio.Server | None = None

    async def start(self) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, _, headers = await read_head(reader, MAX_HEAD)
            await _drain(reader, headers)
            err = _decode(headers[HEADER])
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, KeyError, ValueError):
            writer.close()
            return
        await answer(writer, err.status, err.headers, err.body)


async def _drain(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    """Read the body and keep none of it."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await _skip(reader, size + 2)
            if size == 0:
                return
    await _skip(reader, int(headers.get("content-length", "0")))


async def _skip(reader: asyncio.StreamReader, n: int) -> None:
    while n > 0:
        chunk = await reader.read(min(n, 1 << 20))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(chunk)

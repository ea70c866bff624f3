"""The control channel: a small HTTP API on which authorised approvers list
pending approvals and approve or deny them (what `chaperone approvals`,
`approve` and `deny` talk to).

    GET  /approvals                      pending approvals (JSON)
    POST /approvals/ID/approve           {"reason": "..."} optional
    POST /approvals/ID/deny              {"reason": "..."}

Every request carries `Authorization: Bearer TOKEN`, an approver's token from
the approvers file; the decision is recorded under that approver's name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..loopback_http import answer, read_head

log = logging.getLogger("chaperone")
MAX_HEAD = 16 * 1024
MAX_BODY = 16 * 1024
_ROUTE = re.compile(r"^/approvals/([A-Za-z0-9-]{1,64})/(approve|deny)$")


@dataclass
class Handlers:
    who: Callable[[str], str | None]  # token -> approver name
    pending: Callable[[], list[dict]]
    decide: Callable[[str, bool, str, str | None], dict]  # id, approve, by, reason -> approval (raises ValueError)


class ControlServer:
    def __init__(self, handlers: Handlers):
        self.handlers = handlers
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._serve, host, port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    @property
    def address(self) -> tuple[str, int] | None:
        return self.server.sockets[0].getsockname()[:2] if self.server else None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(self._handle(reader), 10)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, body = 400, {"error": "malformed request"}
        await answer(writer, status, {"Content-Type": "application/json"}, json.dumps(body, default=str).encode())

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, dict]:
        method, path, headers = await read_head(reader, MAX_HEAD)
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            return 413, {"error": "body too large"}
        raw = await reader.readexactly(length) if length else b""
        auth = headers.get("authorization", "")
        who = self.handlers.who(auth[7:]) if auth.lower().startswith("bearer ") else None
        if who is None:
            return 401, {"error": "not an authorised approver: send Authorization: Bearer <your approver token>"}
        if method == "GET" and path == "/approvals":
            return 200, {"approvals": self.handlers.pending(), "you": who}
        m = _ROUTE.match(path)
        if method == "POST" and m:
            try:
                payload = json.loads(raw) if raw.strip() else {}
            except ValueError:
                return 400, {"error": "the body must be JSON"}
            reason = payload.get("reason") if isinstance(payload, dict) else None
            try:
                approval = self.handlers.decide(m.group(1), m.group(2) == "approve", who, reason)
            except ValueError as e:
                return 409, {"error": str(e)}
            log.info("chaperone: %s %s approval %s", who, "approved" if m.group(2) == "approve" else "denied", m.group(1))
            return 200, {"approval": approval}
        return 404, {"error": f"no such endpoint: {method} {path}"}

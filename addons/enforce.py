"""enforce: allow, deny or hold each call by the rule set (filled by the policy issue)."""

from __future__ import annotations

from mitmproxy import http

from .flowrecord import fail_closed, handled


class Enforce:
    @fail_closed
    async def request(self, flow: http.HTTPFlow) -> None:
        if handled(flow):
            return

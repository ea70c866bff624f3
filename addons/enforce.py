"""enforce: allow, deny or hold each call by the rule set (filled by the policy issue)."""

from __future__ import annotations

from mitmproxy import http

from .flowrecord import fail_closed, handled, is_streamed


class Enforce:
    @fail_closed
    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        if is_streamed(flow) and not handled(flow):
            await self.process(flow)

    @fail_closed
    async def request(self, flow: http.HTTPFlow) -> None:
        if not handled(flow) and not is_streamed(flow):
            await self.process(flow)

    async def process(self, flow: http.HTTPFlow) -> None:
        pass

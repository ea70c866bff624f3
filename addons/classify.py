"""classify: what AWS call each flow is, and which agent made it.

Every AWS request must carry a SigV4 signature made with a registered agent's
fake credentials; it is verified here, before anything else is done with the
request. A request that fails is answered by the gateway in the service's
own error format and goes no further.
"""

from __future__ import annotations

import asyncio
import datetime
import logging

from mitmproxy import ctx, exceptions, http
from mitmproxy.utils import human

from . import refusal
from .aws import models, uploads
from .aws.classifier import analyse
from .aws.errors import access_denied_code
from .aws.request import Request
from .aws.router import s3_path
from .aws.sigv2 import V2Auth, verify_v2
from .aws.sigv4 import SigV4Error, s3_style, verify
from .config.agents import Agent, Agents, load_agents
from .config.watched import Watched
from .flowrecord import answer_error, fail_closed, handled, is_streamed, native_error, record, where

log = logging.getLogger("chaperone")


def request_of(flow: http.HTTPFlow) -> Request:
    """The flow's request as the pure classifier reads it, whatever the proxy mode."""
    req = flow.request
    content = b"" if is_streamed(flow) else (req.get_content(strict=False) or b"")
    return Request.build(req.method, f"https://{req.pretty_host}{req.path}", req.headers, content)


class Classify:
    def __init__(self) -> None:
        self.agents: Watched[Agents] = Watched("agents file", load_agents)
        self.sink = refusal.RefusalSink()
        self.sink_address: tuple[str, int] | None = None

    def load(self, loader) -> None:
        loader.add_option(
            "chaperone_agents", str, "agents.yaml",
            "The agents file: each agent's fake access key id and where its secret is.",
        )
        loader.add_option(
            "chaperone_body_limit", str, "64m",
            """
            The largest request body the gateway buffers (e.g. 64m, 1g). Larger
            S3-style uploads stream through; other larger requests are refused.
            """,
        )

    def configure(self, updated) -> None:
        if "chaperone_body_limit" in updated:
            try:
                human.parse_size(ctx.options.chaperone_body_limit)
            except ValueError as e:
                raise exceptions.OptionsError(f"chaperone_body_limit: {e}") from e
        if "chaperone_agents" in updated:
            try:
                self.agents.load(ctx.options.chaperone_agents)
            except Exception as e:  # noqa: BLE001 - refuse any configuration we cannot read
                raise exceptions.OptionsError(f"chaperone_agents: {e}") from e

    async def running(self) -> None:
        self.sink_address = await self.sink.start()

    async def done(self) -> None:
        await self.sink.stop()

    def agent(self, name: str | None) -> Agent | None:
        agents = self.agents.current()
        return agents.by_name.get(name) if agents and name else None

    @fail_closed
    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        if handled(flow):
            return
        headers = flow.request.headers
        size = uploads.expected_size(headers)
        limit = human.parse_size(ctx.options.chaperone_body_limit)
        if size is not None and size > uploads.STREAM_ABOVE and uploads.streamable(headers):
            record(flow)["streamed"] = True
            await self.process(flow)
        elif size is not None and limit is not None and size > limit:
            self._refuse(flow, size)

    def _refuse(self, flow: http.HTTPFlow, size: int) -> None:
        """Too large to buffer and not an upload that can stream: the body goes
        to the refusal sink (read and dropped), which answers a native 413."""
        limit = ctx.options.chaperone_body_limit
        message = f"The request body ({size} bytes) is larger than the gateway's limit (chaperone_body_limit={limit})."
        log.warning("chaperone: refused %s: body of %d bytes is over chaperone_body_limit (%s)", where(flow), size, limit)
        call = analyse(request_of(flow))[0]  # from the headers: which protocol to answer in
        if call is not None:
            record(flow)["call"] = call.to_record()
        err = native_error(flow, "RequestEntityTooLarge", message, 413)
        record(flow)["refused"] = {"status": 413, "message": message}
        req = flow.request
        for name in ("authorization", "x-amz-security-token"):
            req.headers.pop(name, None)
        req.headers[refusal.HEADER] = refusal.encode(err)
        req.scheme, (req.host, req.port) = "http", self.sink_address
        req.stream = True

    @fail_closed
    async def request(self, flow: http.HTTPFlow) -> None:
        if handled(flow) or is_streamed(flow):
            return
        await self.process(flow)

    async def process(self, flow: http.HTTPFlow) -> None:
        req = request_of(flow)
        call, auth, auth_error = analyse(req)
        rec = record(flow)
        rec["aws"] = call is not None
        if call is None:
            return
        rec["call"] = call.to_record()
        flow.comment = f"{call.service}:{call.operation} {call.region}" if call.operation else f"unidentified: {call.unknown_reason}"
        problem = await self._authenticate(flow, req, call, auth, auth_error)
        if problem is not None:
            rec["auth_failure"] = {"code": problem.code, "message": problem.message}
            answer_error(flow, problem.code, problem.message)

    async def _authenticate(self, flow, req, call, auth, auth_error) -> SigV4Error | None:
        s3 = s3_style(call.signing_name)
        if auth_error is not None:
            return auth_error
        if auth is None:
            return SigV4Error(
                "AccessDenied" if s3 else "MissingAuthenticationToken",
                "The request is not signed; the chaperone gateway accepts only calls signed with an agent's credentials.",
            )
        agents = self.agents.current()
        agent = agents.by_key.get(auth.access_key) if agents else None
        if agent is None:
            return SigV4Error(
                "InvalidAccessKeyId" if s3 else "InvalidClientTokenId",
                "The AWS access key id you provided is not registered with the chaperone gateway.",
            )
        now = datetime.datetime.now(datetime.timezone.utc)
        if isinstance(auth, V2Auth):
            try:
                model = models.service_model("s3")
                verify_v2(auth, req.method, s3_path(model, req), req.query, req.headers, agent.secret, now)
            except SigV4Error as e:
                return e
            return self._admit(flow, agent, call)
        raw = None if is_streamed(flow) else (flow.request.raw_content or b"")
        check = (auth, flow.request.method, req.url, list(req.headers.items()), raw, agent.secret, now)
        try:
            if raw is not None and len(raw) > uploads.HASH_IN_THREAD:
                await asyncio.to_thread(verify, *check, s3=s3)
            else:
                verify(*check, s3=s3)
        except SigV4Error as e:
            return e
        return self._admit(flow, agent, call)

    def _admit(self, flow, agent: Agent, call) -> SigV4Error | None:
        """The caller is `agent`; may it use this region and service?"""
        record(flow)["agent"] = agent.name
        if not agent.allows_region(call.region):
            return SigV4Error(access_denied_code(call.service), f"Agent {agent.name!r} may not use region {call.region}.")
        if call.service and not agent.allows_service(call.service):
            return SigV4Error(access_denied_code(call.service), f"Agent {agent.name!r} may not use {call.service}.")
        return None


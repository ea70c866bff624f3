"""resign: send each allowed AWS call on, signed with credentials only the gateway holds.

The agent's Authorization, security token and date are dropped; the request
is signed again (or presigned again, with the same expiry) with the gateway's
credentials, or the role assumed for the agent, and sent to AWS or to the
upstream override.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
from urllib.parse import urlsplit

from mitmproxy import ctx, exceptions, http

from .aws import uploads
from .aws import sigv4
from .aws.chunked import SIGNED_MODES, ChunkSigner
from .aws.gateway_credentials import GatewayCredentials, NoCredentials
from .aws.sigv2 import parse_v2_query, strip_v2
from .flowrecord import RequestStage, answer_error, is_streamed, record, where

REDACTED = "[removed by chaperone]"
log = logging.getLogger("chaperone")


def parse_upstream(value: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an upstream override such as http://127.0.0.1:5000."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected a URL like http://127.0.0.1:5000, got {value!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"the upstream override takes no path or query: {value!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port


def _fields(headers: http.Headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.fields]


class Resign(RequestStage):
    def __init__(self, identity) -> None:
        self.identity = identity  # the Classify addon: who each agent is
        self.upstream: tuple[str, str, int] | None = None
        self.credentials = GatewayCredentials()

    def load(self, loader) -> None:
        loader.add_option(
            "chaperone_upstream", str, "",
            """
            Send every AWS call to this endpoint (e.g. http://127.0.0.1:5000)
            instead of AWS, keeping the original Host for routing and signing.
            Empty: real AWS.
            """,
        )

    def configure(self, updated) -> None:
        if "chaperone_upstream" in updated:
            value = ctx.options.chaperone_upstream
            try:
                self.upstream = parse_upstream(value) if value else None
            except ValueError as e:
                raise exceptions.OptionsError(f"chaperone_upstream: {e}") from e
            self.credentials = GatewayCredentials(sts_endpoint=value or None)

    async def process(self, flow: http.HTTPFlow) -> None:
        rec = record(flow)
        if not rec.get("aws"):
            return
        agent = self.identity.agent(rec.get("agent"))
        if agent is None:  # never sign what classify did not attribute to an agent
            answer_error(flow, "AccessDenied", "The call was not attributed to a registered agent.")
            return
        try:
            creds = await self.credentials.for_agent(agent)
        except NoCredentials as e:
            answer_error(flow, "InternalFailure", str(e), 500)
            return
        try:
            await self._sign(flow, agent, sigv4.Credentials(creds.access_key, creds.secret_key, creds.token))
        except sigv4.SigV4Error as e:  # a signed chunk that does not verify
            answer_error(flow, e.code, e.message)
            return
        if self.upstream:
            self._redirect(flow)

    async def _sign(self, flow: http.HTTPFlow, agent, creds: sigv4.Credentials) -> None:
        req = flow.request
        url = f"https://{req.pretty_host}{req.path}"
        headers = _fields(req.headers)
        call = record(flow)["call"]
        now = datetime.datetime.now(datetime.timezone.utc)
        v2 = parse_v2_query(urlsplit(url).query)
        if v2 is not None:  # a SigV2 presigned S3 URL: presign it again with SigV4
            url = url.split("?", 1)[0] + "?" + strip_v2(urlsplit(url).query)
            self._presign(flow, url, headers, creds, call["region"], "s3", (), v2.expires - now.timestamp(), now)
            return
        auth = sigv4.parse_auth(req.method, url, headers)
        s3 = sigv4.s3_style(auth.service)
        if auth.style == "query":
            amz = datetime.datetime.strptime(auth.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
            left = (amz + datetime.timedelta(seconds=auth.expires or 0) - now).total_seconds()
            self._presign(flow, url, headers, creds, auth.region, auth.service, auth.signed_headers, left, now)
            return
        payload_hash = req.headers.get("x-amz-content-sha256")
        streamed = is_streamed(flow)
        if payload_hash is None and streamed:
            raise sigv4.SigV4Error("InvalidRequest", "A streamed upload must state x-amz-content-sha256.")
        if payload_hash is None:
            body = req.raw_content or b""
            if len(body) > uploads.HASH_IN_THREAD:
                payload_hash = await asyncio.to_thread(lambda: hashlib.sha256(body).hexdigest())
            else:
                payload_hash = hashlib.sha256(body).hexdigest()
        signed = sigv4.sign_request(
            req.method, url, headers, payload_hash, creds, auth.region, auth.service, now,
            s3=s3, signed=auth.signed_headers,
        )
        if payload_hash in SIGNED_MODES:
            self._resign_chunks(flow, payload_hash, auth, agent, signed)
        elif streamed:
            literal = len(payload_hash) == 64 and all(c in "0123456789abcdefABCDEF" for c in payload_hash)
            req.stream = uploads.HashCheck(payload_hash, self._stream_failed(flow)) if literal else True
        req.headers = http.Headers([(k.encode("latin-1"), v.encode("latin-1")) for k, v in signed.headers])
        record(flow)["signed"] = {
            "style": "header", "access_key": creds.access_key,
            "payload": "sha256" if len(payload_hash) == 64 else payload_hash,
            "signed_headers": list(signed.signed_headers),
        }

    def _presign(self, flow, url, headers, creds, region, service, signed, left: float, now) -> None:
        """Presign again with the gateway's credentials, keeping the agent's expiry."""
        expires = max(int(left), 1)
        new_url = sigv4.presign(
            flow.request.method, url, headers, creds, region, service, now, expires,
            s3=sigv4.s3_style(service), signed=signed or ("host",),
        )
        flow.request.path = new_url[len(f"https://{flow.request.pretty_host}"):]
        record(flow)["signed"] = {"style": "query", "access_key": creds.access_key, "expires": expires}

    def _resign_chunks(self, flow, mode: str, auth, agent, signed) -> None:
        """Signed chunks: check the agent's chunk signatures, sign them again."""
        req = flow.request
        decoded = req.headers.get("x-amz-decoded-content-length")
        stream = uploads.ChunkStream(
            mode, ChunkSigner.for_agent(auth, agent.secret), ChunkSigner.for_request(signed),
            int(decoded) if decoded and decoded.isdigit() else None, req.headers.get("x-amz-trailer"),
            self._stream_failed(flow),
        )
        if is_streamed(flow):
            req.stream = stream
        else:
            req.raw_content = stream.whole(req.raw_content or b"")

    @staticmethod
    def _stream_failed(flow):
        def on_error(e: sigv4.SigV4Error) -> None:
            record(flow)["auth_failure"] = {"code": e.code, "message": e.message}
            log.warning("chaperone: stopped streaming %s: %s", where(flow), e)

        return on_error

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        # The request has gone: take the gateway's session token out of it
        # before anything (a dump file, mitmweb) sees the finished flow.
        self._scrub(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._scrub(flow)

    @staticmethod
    def _scrub(flow: http.HTTPFlow) -> None:
        if "signed" not in record(flow):
            return
        req = flow.request
        if "x-amz-security-token" in req.headers:
            req.headers["X-Amz-Security-Token"] = REDACTED
        if "x-amz-security-token=" in req.path.lower():
            query = [(k, REDACTED if k.lower() == "x-amz-security-token" else v) for k, v in req.query.items(multi=True)]
            req.query = query

    def _redirect(self, flow: http.HTTPFlow) -> None:
        host_header = flow.request.pretty_host
        if flow.request.port not in (80, 443):
            host_header = f"{host_header}:{flow.request.port}"
        scheme, host, port = self.upstream
        flow.request.scheme, flow.request.host, flow.request.port = scheme, host, port
        flow.request.headers["Host"] = host_header
        record(flow)["upstream"] = f"{scheme}://{host}:{port}"

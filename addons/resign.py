"""resign: send each allowed AWS call on, signed with the gateway's credentials."""

from __future__ import annotations

from urllib.parse import urlsplit

from mitmproxy import ctx, exceptions, http

from .flowrecord import fail_closed, handled, record


def parse_upstream(value: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an upstream override such as http://127.0.0.1:5000."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected a URL like http://127.0.0.1:5000, got {value!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"the upstream override takes no path or query: {value!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port


class Resign:
    def __init__(self) -> None:
        self.upstream: tuple[str, str, int] | None = None

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

    @fail_closed
    def request(self, flow: http.HTTPFlow) -> None:
        if handled(flow) or not record(flow).get("aws"):
            return
        if self.upstream:
            self._redirect(flow)

    def _redirect(self, flow: http.HTTPFlow) -> None:
        host_header = flow.request.pretty_host
        if flow.request.port not in (80, 443):
            host_header = f"{host_header}:{flow.request.port}"
        scheme, host, port = self.upstream
        flow.request.scheme, flow.request.host, flow.request.port = scheme, host, port
        flow.request.headers["Host"] = host_header
        record(flow)["upstream"] = f"{scheme}://{host}:{port}"

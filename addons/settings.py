"""Gateway-wide mitmproxy settings the pipeline depends on."""

from __future__ import annotations

from mitmproxy import ctx


class Settings:
    def running(self) -> None:
        # No upstream connection before a request is classified, decided and
        # signed: a denied call never touches AWS, and the upstream override
        # works without DNS for AWS host names.
        if ctx.options.connection_strategy != "lazy":
            ctx.options.update(connection_strategy="lazy")

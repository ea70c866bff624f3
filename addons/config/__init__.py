"""Configuration files other than rules (no mitmproxy imports)."""


class ConfigError(Exception):
    """A configuration file could not be read; each error names file, line and fix."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))

"""The approvers file: who may approve or deny held calls over the control channel.

```yaml
approvers:
  - name: alice
    token_file: secrets/alice.secret    # or: token_env: CHAPERONE_TOKEN_ALICE
```

Each approver proves who they are with a bearer token that only they and the
gateway know; the audit record names them.
"""

from __future__ import annotations

import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from yaml.nodes import SequenceNode

from . import ConfigError
from .secrets import new_secret, read_secret, write_secret, write_yaml
from .yamlsrc import Source

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
KEYS = {"name", "token_file", "token_env"}


@dataclass(frozen=True)
class Approvers:
    source: str
    tokens: dict[str, str] = field(repr=False)  # name -> token

    def who(self, token: str) -> str | None:
        """The approver holding `token` (compared in constant time), or None."""
        found = None
        for name, known in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = name
        return found


def load_approvers(path: str | Path, *, environ=os.environ) -> Approvers:
    source = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ConfigError([f"{source}: cannot read: {e.strerror}"]) from e
    src = Source(text, source)
    tokens: dict[str, str] = {}
    try:
        root = src.root()
        top = src.mapping(root, "the approvers file", ("approvers",)) if root is not None else None
        entries = top["approvers"][1] if top and "approvers" in top else None
        if entries is not None and not isinstance(entries, SequenceNode):
            src.error(entries, "'approvers' must be a list of approvers")
            entries = None
        for node in entries.value if entries is not None else []:
            m = src.mapping(node, "an approver", KEYS)
            if m is None:
                continue
            name = src.text(m["name"][1], "name") if "name" in m else None
            if name is None or not _NAME_RE.match(name):
                src.error(node, "an approver needs a 'name' of letters, digits, '.', '_', '@' or '-'")
                continue
            if name in tokens:
                src.error(node, f"approver {name!r} is listed twice")
            secrets_named = {("secret_file" if k == "token_file" else "secret_env" if k == "token_env" else k): v for k, v in m.items()}
            token = read_secret(src, secrets_named, node, f"approver {name!r}", Path(path).resolve().parent, environ)
            if token:
                tokens[name] = token
    finally:
        src.close()
    if src.errors:
        raise ConfigError(src.errors)
    return Approvers(source, tokens)


def add_approver(path: str | Path, name: str) -> str:
    """Add an approver with a new token (written to a 0600 file); returns the token."""
    path = Path(path)
    if not _NAME_RE.match(name):
        raise ConfigError([f"approver name {name!r} may hold only letters, digits, '.', '_', '@' and '-'"])
    data = {"approvers": []}
    if path.exists():
        load_approvers(path)
        data = yaml.safe_load(path.read_text()) or {"approvers": []}
        data.setdefault("approvers", [])
        if any(a.get("name") == name for a in data["approvers"]):
            raise ConfigError([f"{path}: approver {name!r} already exists"])
    token = new_secret()
    data["approvers"].append({"name": name, "token_file": write_secret(path, f"approver-{name}", token)})
    write_yaml(path, data)
    return token

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

from .secrets import new_secret, read_secret, write_secret, write_yaml
from .yamlfile import ConfigError, Node, read, unknown_key

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
    top, _ = read(path)
    if top == {}:
        return Approvers(source, {})
    if not isinstance(top, dict):
        raise ConfigError([f"{source}:1: expected a mapping with an 'approvers' list"])
    errors = [unknown_key(source, n.line, k, ("approvers",), "top level") for k, n in top.items() if k != "approvers"]
    entries = top.get("approvers", Node([], 1))
    if not isinstance(entries.value, list):
        raise ConfigError(errors + [f"{source}:{entries.line}: 'approvers' must be a list"])
    tokens: dict[str, str] = {}
    base = Path(path).resolve().parent
    for entry in entries.value:
        where = f"{source}:{entry.line}"
        d = entry.value
        if not isinstance(d, dict):
            errors.append(f"{where}: each approver is a mapping with name and token_file or token_env")
            continue
        errors += [unknown_key(source, n.line, k, KEYS, "approver") for k, n in d.items() if k not in KEYS]
        name = d["name"].value if "name" in d else None
        if not isinstance(name, str) or not _NAME_RE.match(name):
            errors.append(f"{where}: approver needs a 'name' of letters, digits, '.', '_', '@' or '-'")
            continue
        if name in tokens:
            errors.append(f"{where}: approver {name!r} is listed twice")
        renamed = {("secret_file" if k == "token_file" else "secret_env" if k == "token_env" else k): v for k, v in d.items()}
        token = read_secret(renamed, f"{where}: approver {name!r}", base, environ, errors)
        if token:
            tokens[name] = token
    if errors:
        raise ConfigError(errors)
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

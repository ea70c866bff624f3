"""The agents file: each agent's fake credentials and what it may use.

```yaml
agents:
  - name: claude-dev
    access_key_id: CHAPK7Q2M4X9ZL3R8T5V
    secret_file: secrets/claude-dev.secret     # or: secret_env: CHAPERONE_SECRET_CLAUDE_DEV
    role_arn: arn:aws:iam::123456789012:role/agent   # optional: assume this role for it
    session_policy: {...}                             # optional: narrows the role further
    regions: [us-east-1]                              # optional
    services: [s3, dynamodb]                          # optional
```

A secret is never written in this file (it is meant to be committed): it
comes from an environment variable or from a file only the gateway can read.
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..aws import models
from .secrets import delete_secret, new_secret, read_secret, write_secret, write_yaml
from .yamlfile import ConfigError, Node, read, unknown_key

KEY_PREFIX = "CHAP"  # no real AWS key id starts with it (AKIA, ASIA, AROA, ...)
_KEY_RE = re.compile(r"^CHAP[A-Z2-7]{16}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REAL_PREFIXES = ("AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "APKA", "ABIA", "ACCA", "AIPA")
KEYS = {
    "name", "access_key_id", "secret_env", "secret_file", "role_arn", "session_policy",
    "regions", "services", "description",
}


@dataclass(frozen=True)
class Agent:
    name: str
    access_key_id: str
    secret: str = field(repr=False)
    role_arn: str | None = None
    session_policy: str | None = None  # JSON text
    regions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def allows_region(self, region: str) -> bool:
        return not self.regions or region in self.regions

    def allows_service(self, service: str) -> bool:
        return not self.services or service in self.services


@dataclass(frozen=True)
class Agents:
    source: str
    by_key: dict[str, Agent]

    def __len__(self) -> int:
        return len(self.by_key)


def load_agents(path: str | Path, *, environ=os.environ) -> Agents:
    """The agents in `path` with their secrets resolved; ConfigError names every problem."""
    source = str(path)
    if not Path(path).exists():
        raise ConfigError([f"{source}: no such agents file (create one with `chaperone agent add NAME --agents {source}`)"])
    top, _ = read(path)
    errors: list[str] = []
    if top == {}:
        return Agents(source, {})
    if not isinstance(top, dict):
        raise ConfigError([f"{source}:1: expected a mapping with an 'agents' list"])
    for key, node in top.items():
        if key not in ("agents", "version"):
            errors.append(unknown_key(source, node.line, key, ("agents", "version"), "top level"))
    entries = top.get("agents", Node([], 1))
    if not isinstance(entries.value, list):
        raise ConfigError(errors + [f"{source}:{entries.line}: 'agents' must be a list"])
    base = Path(path).resolve().parent
    by_key: dict[str, Agent] = {}
    names: set[str] = set()
    for entry in entries.value:
        agent = _agent(entry, source, base, environ, errors)
        if agent is None:
            continue
        if agent.name in names:
            errors.append(f"{source}:{entry.line}: agent {agent.name!r} is listed twice")
        if agent.access_key_id in by_key:
            errors.append(f"{source}:{entry.line}: access key {agent.access_key_id} is used by two agents")
        names.add(agent.name)
        by_key[agent.access_key_id] = agent
    if errors:
        raise ConfigError(errors)
    return Agents(source, by_key)


def _agent(entry: Node, source: str, base: Path, environ, errors: list[str]) -> Agent | None:
    where = f"{source}:{entry.line}"
    if not isinstance(entry.value, dict):
        errors.append(f"{where}: each agent is a mapping with name, access_key_id and secret_file or secret_env")
        return None
    d = entry.value
    before = len(errors)
    for key, node in d.items():
        if key not in KEYS:
            errors.append(unknown_key(source, node.line, key, KEYS, "agent"))
    if "secret" in d or "secret_access_key" in d:
        errors.append(f"{where}: never put a secret in the agents file; use secret_file or secret_env")
    name = _text(d, "name", where, errors)
    key = _text(d, "access_key_id", where, errors)
    if name is not None and not _NAME_RE.match(name):
        errors.append(f"{source}:{d['name'].line}: agent name {name!r} may hold only letters, digits, '.', '_' and '-'")
    if key is not None and not _KEY_RE.match(key):
        errors.append(f"{source}:{d['access_key_id'].line}: access key id {key!r} is not a chaperone key (CHAP + 16 of A-Z2-7); create one with `chaperone agent add`")
    secret = read_secret(d, where, base, environ, errors)
    regions = _list(d, "regions", source, errors)
    services = _list(d, "services", source, errors)
    known = models.service_index().services
    for s in services:
        if s not in known:
            close = difflib.get_close_matches(s, list(known), n=1)
            errors.append(f"{source}:{d['services'].line}: unknown service {s!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    role = d["role_arn"].value if "role_arn" in d else None
    if role is not None and not (isinstance(role, str) and role.startswith("arn:") and ":role/" in role):
        errors.append(f"{source}:{d['role_arn'].line}: role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    policy = None
    if "session_policy" in d:
        raw = _plain(d["session_policy"])
        policy = raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))
        try:
            json.loads(policy)
        except ValueError:
            errors.append(f"{source}:{d['session_policy'].line}: session_policy must be an IAM policy document (a mapping or JSON text)")
    if len(errors) > before or None in (name, key, secret):
        return None
    return Agent(name, key, secret, role, policy, tuple(regions), tuple(services))


def _plain(node: Node):
    v = node.value
    if isinstance(v, dict):
        return {k: _plain(n) for k, n in v.items()}
    if isinstance(v, list):
        return [_plain(n) for n in v]
    return v


def _text(d, key, where, errors) -> str | None:
    if key not in d or not isinstance(d[key].value, str) or not d[key].value:
        errors.append(f"{where}: agent needs {key!r} (text)")
        return None
    return d[key].value


def _list(d, key, source, errors) -> list[str]:
    if key not in d:
        return []
    node = d[key]
    if not isinstance(node.value, list) or not all(isinstance(n.value, str) for n in node.value):
        errors.append(f"{source}:{node.line}: {key!r} must be a list of names")
        return []
    return [n.value for n in node.value]


def new_key_id() -> str:
    return KEY_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode()[:16]


def add_agent(path: str | Path, name: str, regions=(), services=()) -> tuple[str, str]:
    """Append a new agent to the agents file; its secret goes to a 0600 file
    beside it. Returns (access key id, secret)."""
    path = Path(path)
    if not _NAME_RE.match(name):
        raise ConfigError([f"agent name {name!r} may hold only letters, digits, '.', '_' and '-'"])
    data = {"agents": []}
    unknown = [s for s in services if s not in models.service_index().services]
    if unknown:
        raise ConfigError([f"unknown service {unknown[0]!r} (use botocore's service names, e.g. s3, dynamodb)"])
    if path.exists():
        load_agents(path)  # refuse to touch a file that does not load
        data = yaml.safe_load(path.read_text()) or {"agents": []}
        data.setdefault("agents", [])
        if any(a.get("name") == name for a in data["agents"]):
            raise ConfigError([f"{path}: agent {name!r} already exists (revoke it first to replace it)"])
    key, secret = new_key_id(), new_secret()
    entry = {"name": name, "access_key_id": key, "secret_file": write_secret(path, name, secret)}
    if regions:
        entry["regions"] = list(regions)
    if services:
        entry["services"] = list(services)
    data["agents"].append(entry)
    write_yaml(path, data)
    return key, secret


def revoke_agent(path: str | Path, name: str) -> None:
    path = Path(path)
    if not path.exists():
        raise ConfigError([f"{path}: no such agents file"])
    data = yaml.safe_load(path.read_text()) or {}
    agents = data.get("agents") or []
    kept = [a for a in agents if a.get("name") != name]
    if len(kept) == len(agents):
        raise ConfigError([f"{path}: no agent named {name!r}"])
    removed = next(a for a in agents if a.get("name") == name)
    data["agents"] = kept
    write_yaml(path, data)
    if "secret_file" in removed:
        delete_secret(path, removed["secret_file"])


def is_real_aws_key(key: str) -> bool:
    return key.startswith(_REAL_PREFIXES)

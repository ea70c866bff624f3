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
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..aws import models
from yaml.nodes import MappingNode, SequenceNode

from . import ConfigError
from .secrets import delete_secret, new_secret, read_secret, write_secret, write_yaml
from .yamlsrc import Source, did_you_mean

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
    by_name: dict[str, Agent] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name.update((a.name, a) for a in self.by_key.values())

    def __len__(self) -> int:
        return len(self.by_key)


def load_agents(path: str | Path, *, environ=os.environ) -> Agents:
    """The agents in `path` with their secrets resolved; ConfigError names every problem."""
    source = str(path)
    if not Path(path).exists():
        raise ConfigError([f"{source}: no such agents file (create one with `chaperone agent add NAME --agents {source}`)"])
    src = Source(Path(path).read_text(), source)
    try:
        agents = _read_agents(src, Path(path).resolve().parent, environ)
    finally:
        src.close()
    if src.errors:
        raise ConfigError(src.errors)
    return Agents(source, {a.access_key_id: a for a in agents})


def _read_agents(src: Source, base: Path, environ) -> list[Agent]:
    root = src.root()
    if root is None:
        return []
    top = src.mapping(root, "the agents file", ("version", "agents"))
    if not top or "agents" not in top:
        return []
    entries = top["agents"][1]
    if not isinstance(entries, SequenceNode):
        src.error(entries, "'agents' must be a list of agents")
        return []
    agents: list[Agent] = []
    for node in entries.value:
        agent = _read_agent(src, node, base, environ)
        if agent is None:
            continue
        for other in agents:
            if other.name == agent.name:
                src.error(node, f"agent {agent.name!r} is listed twice")
            if other.access_key_id == agent.access_key_id:
                src.error(node, f"access key {agent.access_key_id} is used by two agents")
        agents.append(agent)
    return agents


def _read_agent(src: Source, node, base: Path, environ) -> Agent | None:
    before = src.error_count
    if isinstance(node, MappingNode) and any(k.value in ("secret", "secret_access_key") for k, _ in node.value):
        src.error(node, "never put a secret in the agents file; use secret_file or secret_env")
        return None
    m = src.mapping(node, "an agent", KEYS)
    if m is None:
        return None
    for required in ("name", "access_key_id"):
        if required not in m:
            src.error(node, f"an agent needs {required!r}")
    name = src.text(m["name"][1], "name") if "name" in m else None
    label = f"agent {name!r}"
    if name is not None and not _NAME_RE.match(name):
        src.error(m["name"][1], f"{label}: a name may hold only letters, digits, '.', '_' and '-'")
    key = src.text(m["access_key_id"][1], "access_key_id", label) if "access_key_id" in m else None
    if key is not None and not _KEY_RE.match(key):
        src.error(m["access_key_id"][1], f"{label}: {key!r} is not a chaperone key id (CHAP + 16 of A-Z2-7); create one with `chaperone agent add`")
    secret = read_secret(src, m, node, label, base, environ)
    regions = [v for v, _ in src.texts(m["regions"][1], "regions", label) or []] if "regions" in m else []
    services = []
    if "services" in m:
        known = models.service_index().services
        for service, item in src.texts(m["services"][1], "services", label) or []:
            if service not in known:
                src.error(item, f"{label}: unknown service {service!r}{did_you_mean(service, known)}")
            services.append(service)
    role = src.text(m["role_arn"][1], "role_arn", label) if "role_arn" in m else None
    if role is not None and not (role.startswith("arn:") and ":role/" in role):
        src.error(m["role_arn"][1], f"{label}: role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    policy = _session_policy(src, m["session_policy"][1], label) if "session_policy" in m else None
    if src.error_count > before or None in (name, key, secret):
        return None
    return Agent(name, key, secret, role, policy, tuple(regions), tuple(services))


def _session_policy(src: Source, node, label: str) -> str | None:
    """A session policy given as a mapping or as JSON text, returned as JSON text."""
    value = src.scalar(node)
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    try:
        if isinstance(json.loads(text), dict):
            return text
    except ValueError:
        pass
    src.error(node, f"{label}: session_policy must be an IAM policy document (a mapping or JSON text)")
    return None


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

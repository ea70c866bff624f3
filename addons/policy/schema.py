"""The rule language's data model: rules, rule sets, decisions, and the names the loader accepts.

Everything here is plain data. :mod:`addons.policy.loader` builds it from YAML
(checking it strictly); :mod:`addons.policy.evaluate` decides calls with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .globs import Patterns

ACTIONS = ("allow", "deny", "approve")
MODES = ("hold", "queue")
EGRESS_DEFAULTS = ("allow", "deny")

#: The harms a rule can say it guards against (``guards:``). Other text is
#: accepted with a warning, so a typo of one of these is noticed.
HARMS = {
    "destroy-data": "deleting or overwriting data, or the resources that hold it",
    "weaken-logging": "stopping, deleting or blinding logging, auditing and detection",
    "credentials": "minting new credentials or exposing existing secrets",
    "privilege": "granting itself or others more privilege",
    "share-outside": "sharing data or resources outside the account, or making them public",
    "run-commands": "running commands on machines",
    "leave-organization": "leaving, dismantling or escaping the AWS organisation",
    "cost": "running up large bills",
}

TOP_KEYS = ("version", "description", "egress", "rules")
EGRESS_KEYS = ("default",)
RULE_KEYS = ("id", "description", "guards", "match", "action", "message", "approval")
MATCH_KEYS = (
    "services",
    "operations",
    "resources",
    "regions",
    "agents",
    "read_only",
    "unknown",
    "when",
    "hosts",
)
#: match keys that only make sense for AWS calls (an egress rule has `hosts`)
AWS_ONLY_MATCH_KEYS = ("services", "operations", "resources", "regions", "read_only", "unknown")
APPROVAL_KEYS = ("timeout", "approvers", "mode")

#: the top-level names of the document a `when` condition sees
CONDITION_FIELDS = (
    "service",
    "operation",
    "region",
    "partition",
    "agent",
    "session",
    "params",
    "resources",
    "read_only",
    "access_key",
    "host",
)

DEFAULT_TIMEOUT = 300  # seconds
MAX_TIMEOUT = 7 * 24 * 3600


class PolicyError(Exception):
    """A rules (or cases) file that could not be read. `errors` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(slots=True, frozen=True)
class Approval:
    timeout: int = DEFAULT_TIMEOUT  # seconds: how long a hold lasts, or a queued approval lives
    approvers: tuple[str, ...] = ()  # empty: any authorised approver
    mode: str = "hold"  # hold | queue

    def to_record(self) -> dict[str, Any]:
        return {"timeout": self.timeout, "approvers": list(self.approvers), "mode": self.mode}


@dataclass(slots=True)
class Match:
    """What a rule matches. None means the field was absent (matches anything)."""

    services: Patterns | None = None
    operations: Patterns | None = None
    resources: Patterns | None = None
    regions: Patterns | None = None
    agents: Patterns | None = None
    hosts: Patterns | None = None
    read_only: bool | None = None
    unknown: bool | None = None
    when: Any = None  # a compiled jmespath expression
    when_text: str | None = None
    never: bool = False  # an empty list: the rule can never match

    @property
    def egress(self) -> bool:
        return self.hosts is not None

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("services", "operations", "resources", "regions", "agents", "hosts"):
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value.source)
        for name in ("read_only", "unknown"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.when_text is not None:
            out["when"] = self.when_text
        return out


@dataclass(slots=True)
class Rule:
    id: str
    action: str
    match: Match
    description: str = ""
    guards: tuple[str, ...] = ()
    message: str = ""
    approval: Approval | None = None  # set (defaults filled in) for every approve rule
    line: int = 0
    position: int = 0  # index in the file, for file order

    @property
    def egress(self) -> bool:
        return self.match.egress

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "action": self.action, "match": self.match.to_record()}
        if self.description:
            out["description"] = self.description
        if self.guards:
            out["guards"] = list(self.guards)
        if self.message:
            out["message"] = self.message
        if self.approval is not None:
            out["approval"] = self.approval.to_record()
        out["line"] = self.line
        return out


@dataclass(slots=True)
class RuleSet:
    """A loaded rule set. Decide calls with :func:`addons.policy.decide`."""

    rules: tuple[Rule, ...]
    source: str = "<rules>"
    digest: str = ""
    warnings: list[str] = field(default_factory=list)
    description: str = ""
    egress_default: str = "allow"
    version: int = 1
    index: Any = field(default=None, repr=False, compare=False)  # evaluate.Index, built at load

    def get(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None

    def to_record(self) -> dict[str, Any]:
        return {"source": self.source, "digest": self.digest, "rules": len(self.rules)}


@dataclass(slots=True)
class Decision:
    """What the policy decided about one call, with its trace. JSON-serialisable via to_record()."""

    action: str  # "allow" | "deny" | "approve"
    rule: str | None  # the deciding rule's id; None when the default decided
    message: str  # for the agent: the deciding rule's message (or description), or the default's
    matched: list[str] = field(default_factory=list)  # ids of every rule that matched, in file order
    approval: dict[str, Any] | None = None  # approve only: {"timeout": s, "approvers": [...], "mode": ...}
    reason: str = ""  # one line for people: "denied by rule 'x': ..."
    errors: list[str] = field(default_factory=list)  # conditions that failed to evaluate
    guards: list[str] = field(default_factory=list)  # the deciding rule's harms

    @property
    def allowed(self) -> bool:
        return self.action == "allow"

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

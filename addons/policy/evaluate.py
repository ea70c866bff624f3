"""Deciding a call: which rules match, and which of them decides.

Precedence: a matching deny wins, then approve, then allow; an AWS call that
no rule allows is denied. Among rules of the same action the first in the
file decides (its message and approval settings are used).

Speed: rules are indexed by (service, operation) when they name exact
services and operations; rules with globs or no services/operations sit in
wildcard buckets. The rules that can match a given (service, operation,
agent, read_only) are worked out once and memoised, so a decision only
checks the per-call parts (region, resources, condition) of the rules that
can apply.
"""

from __future__ import annotations

from typing import Any

from ..aws.call import Call, jsonable
from .schema import Decision, Rule, RuleSet

ANY = "*"
_MEMO_LIMIT = 50_000


class Index:
    """The rule set indexed for fast decisions (built at load time)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.buckets: dict[tuple[str, str], list[Rule]] = {}
        self.egress_exact: dict[str, list[Rule]] = {}
        self.egress_other: list[Rule] = []
        self.memo: dict[tuple[Any, ...], tuple[Rule, ...]] = {}
        self.base_memo: dict[tuple[Any, ...], tuple[Rule, ...]] = {}
        self.egress_memo: dict[tuple[Any, ...], tuple[Rule, ...]] = {}
        self.approvals = {r.id: r.approval.to_record() for r in ruleset.rules if r.approval is not None}
        for rule in ruleset.rules:
            m = rule.match
            if m.never:
                continue
            if m.egress:
                hosts = m.hosts
                if hosts.globs():
                    self.egress_other.append(rule)
                else:
                    for h in hosts.exact:
                        self.egress_exact.setdefault(h, []).append(rule)
                continue
            svc_keys = _keys(m.services)
            op_keys = _keys(m.operations)
            for s in svc_keys:
                for o in op_keys:
                    self.buckets.setdefault((s, o), []).append(rule)

    def candidates(self, service: str, operation: str | None, agent: str | None, read_only: bool) -> tuple[Rule, ...]:
        """The rules whose services, operations, agents, read_only and unknown match (file order)."""
        key = (service, operation, agent, read_only)
        found = self.memo.get(key)
        if found is not None:
            return found
        base_key = (service, operation, read_only)
        base = self.base_memo.get(base_key)
        if base is None:
            seen: dict[int, Rule] = {}
            keys = [(service, ANY), (ANY, ANY)]
            if operation is not None:
                keys += [(service, operation), (ANY, operation)]
            for bucket_key in keys:
                for rule in self.buckets.get(bucket_key, ()):
                    if rule.position not in seen and _static_match(rule, service, operation, read_only):
                        seen[rule.position] = rule
            base = tuple(seen[p] for p in sorted(seen))
            if len(self.base_memo) >= _MEMO_LIMIT:
                self.base_memo.clear()
            self.base_memo[base_key] = base
        found = tuple(r for r in base if r.match.agents is None or (agent is not None and r.match.agents(agent)))
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = found
        return found

    def egress_candidates(self, host: str, agent: str | None) -> tuple[Rule, ...]:
        key = (host, agent)
        found = self.egress_memo.get(key)
        if found is not None:
            return found
        seen: dict[int, Rule] = {}
        for rule in self.egress_exact.get(host, ()):
            seen[rule.position] = rule
        for rule in self.egress_other:
            if rule.match.hosts(host):
                seen[rule.position] = rule
        found = tuple(
            seen[p] for p in sorted(seen)
            if seen[p].match.agents is None or (agent is not None and seen[p].match.agents(agent))
        )
        if len(self.egress_memo) >= _MEMO_LIMIT:
            self.egress_memo.clear()
        self.egress_memo[key] = found
        return found


def _keys(patterns: Any) -> tuple[str, ...]:
    if patterns is None or patterns.globs():
        return (ANY,)
    return tuple(patterns.exact)


def _static_match(rule: Rule, service: str, operation: str | None, read_only: bool) -> bool:
    """The parts of a rule that depend only on service, operation and read_only."""
    m = rule.match
    if m.services is not None and not m.services(service):
        return False
    if operation is None:
        # an unidentified call: only rules that say `unknown: true`, and deny rules
        # that do not depend on the operation (so a blanket deny stays blanket)
        if not (m.unknown is True or (m.unknown is None and m.operations is None and rule.action == "deny")):
            return False
    else:
        if m.unknown is True:
            return False
        if m.operations is not None and not m.operations(operation):
            return False
    if m.read_only is not None and m.read_only != read_only:
        return False
    return True


def build_index(ruleset: RuleSet) -> Index:
    return Index(ruleset)


def condition_document(call: Call | None, agent: str | None, session: str | None, host: str | None = None) -> dict[str, Any]:
    """What a `when` condition is evaluated over (the call's record, plus agent and session)."""
    if call is None:
        return {
            "service": None, "operation": None, "region": None, "partition": None,
            "agent": agent, "session": session, "params": {}, "resources": [],
            "read_only": None, "access_key": None, "host": host,
        }
    return {
        "service": call.service,
        "operation": call.operation,
        "region": call.region,
        "partition": call.partition,
        "agent": agent,
        "session": session,
        "params": jsonable(call.params),
        "resources": list(call.resources),
        "read_only": call.read_only,
        "access_key": call.access_key,
        "host": call.host,
    }


def _truthy(value: Any) -> bool:
    # JMESPath truthiness: false, null, "", [] and {} are false; every number (0 too) is true
    return not (value is None or value is False or (isinstance(value, (str, list, dict)) and not value))


def _dynamic_match(rule: Rule, call: Call | None, get_doc: Any, errors: list[str]) -> bool:
    m = rule.match
    if call is not None:
        if m.regions is not None and not m.regions(call.region):
            return False
        if m.resources is not None:
            arns = call.resources
            if not arns:
                return False
            if rule.action == "allow":
                # allow only if every resource the call touches is allowed
                if not all(m.resources(a) for a in arns):
                    return False
            elif not any(m.resources(a) for a in arns):
                return False
    if m.when is not None:
        try:
            result = m.when.search(get_doc())
        except Exception as exc:  # a condition that fails does not match; say so in the trace
            errors.append(f"rule '{rule.id}': condition {m.when_text!r} failed: {type(exc).__name__}: {exc}")
            return False
        if not _truthy(result):
            return False
    return True


def _message(rule: Rule) -> str:
    if rule.message:
        return rule.message
    if rule.description:
        return rule.description.strip().splitlines()[0]
    return ""


def _decide_from(index: Index, matched: list[Rule], errors: list[str], default_action: str,
                 default_reason: str, default_message: str) -> Decision:
    chosen = None
    for wanted in ("deny", "approve", "allow"):
        for rule in matched:
            if rule.action == wanted:
                chosen = rule
                break
        if chosen is not None:
            break
    ids = [r.id for r in matched]
    if chosen is None:
        return Decision(action=default_action, rule=None, message=default_message, matched=ids,
                        approval=None, reason=default_reason, errors=errors)
    message = _message(chosen)
    tail = f": {message}" if message else ""
    if chosen.action == "deny":
        reason = f"denied by rule '{chosen.id}'{tail}"
    elif chosen.action == "approve":
        reason = f"needs approval under rule '{chosen.id}'{tail}"
    else:
        reason = f"allowed by rule '{chosen.id}'{tail}"
    approval = None
    if chosen.action == "approve":
        a = index.approvals[chosen.id]
        approval = {"timeout": a["timeout"], "approvers": list(a["approvers"]), "mode": a["mode"]}
    return Decision(action=chosen.action, rule=chosen.id, message=message, matched=ids, approval=approval,
                    reason=reason, errors=errors, guards=list(chosen.guards))


def normalise_host(host: str) -> str:
    """'PyPI.org.:443' -> 'pypi.org'; '[::1]:8080' -> '::1'."""
    h = host.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h[1:]
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def decide(rules: RuleSet, call: Call | None, agent: str | None, *, session: str | None = None,
           host: str | None = None) -> Decision:
    """Decide one call.

    `call` is the classified AWS call, or None for non-AWS traffic to `host`
    (allowed unless an egress rule denies it, or `egress: {default: deny}`).
    `agent` is the verified agent's name, or None for an unverified caller:
    an unverified caller's AWS call is always denied (rules still show in the trace).
    """
    index: Index = rules.index
    if index is None:
        index = rules.index = build_index(rules)
    errors: list[str] = []
    doc: dict[str, Any] | None = None
    h = normalise_host(host or "") if call is None else None

    def get_doc() -> dict[str, Any]:  # built only if a candidate rule has a condition
        nonlocal doc
        if doc is None:
            doc = condition_document(call, agent, session, h)
        return doc

    if call is None:
        if not h:
            raise ValueError("decide: non-AWS traffic (call=None) needs the host")
        matched = [r for r in index.egress_candidates(h, agent)
                   if r.match.when is None or _dynamic_match(r, None, get_doc, errors)]
        if rules.egress_default == "allow":
            return _decide_from(index, matched, errors, "allow", f"no egress rule denies {h} (egress default: allow)", "")
        return _decide_from(index, matched, errors, "deny", f"no egress rule allows {h} (egress default: deny)",
                            f"traffic to {h} is not allowed")

    matched = []
    for rule in index.candidates(call.service, call.operation, agent, call.read_only):
        m = rule.match
        if (m.regions is None and m.resources is None and m.when is None) or _dynamic_match(rule, call, get_doc, errors):
            matched.append(rule)

    if call.operation is None:
        what = f"{call.service} call" if call.service else f"call to {call.host}"
        why = f" ({call.unknown_reason})" if call.unknown_reason else ""
        default_message = f"no rule allows this unidentified {what}{why}"
    else:
        default_message = f"no rule allows {call.service}:{call.operation}"
    decision = _decide_from(index, matched, errors, "deny", f"{default_message} (default deny)", default_message)

    if agent is None and decision.action != "deny":
        decision.action = "deny"
        decision.rule = None
        decision.approval = None
        decision.guards = []
        decision.message = "the caller is not a verified agent"
        decision.reason = "the caller is not a verified agent: AWS calls from unverified callers are always denied"
    return decision

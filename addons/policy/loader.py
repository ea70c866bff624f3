"""Loading a rules file strictly: every problem named with file, line, column and fix.

``load_rules(path)`` / ``load_rules_text(text)`` return a :class:`RuleSet`
ready for :func:`addons.policy.decide`, or raise one :class:`PolicyError`
listing every problem found (one per line). Things that are legal but can
never match are warnings, kept in ``RuleSet.warnings``.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import jmespath
import jmespath.exceptions
from yaml.nodes import Node, ScalarNode, SequenceNode

from . import globs
from .catalog import Catalog, default_catalog
from .schema import (
    ACTIONS,
    APPROVAL_KEYS,
    AWS_ONLY_MATCH_KEYS,
    CONDITION_FIELDS,
    DEFAULT_TIMEOUT,
    EGRESS_DEFAULTS,
    EGRESS_KEYS,
    HARMS,
    MATCH_KEYS,
    MAX_TIMEOUT,
    MODES,
    RULE_KEYS,
    TOP_KEYS,
    Approval,
    Match,
    PolicyError,
    Rule,
    RuleSet,
)
from ..config.yamlsrc import INT, Source, describe, did_you_mean

RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_timeout(value: Any) -> int | None:
    """Seconds from an int (``300``) or a duration (``300s``, ``5m``, ``1h30m``, ``2d``); None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "")
    if text.isdigit():
        return int(text)
    m = _DURATION.fullmatch(text)
    if not text or not m or not any(m.groups()):
        return None
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def load_rules(path: str | os.PathLike, *, catalog: Catalog | None = None) -> RuleSet:
    """Load and check a rules file. Raises PolicyError listing every problem."""
    source = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise PolicyError([f"{source}: cannot read the rules file: {exc.strerror or exc}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{source}: the file is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"]) from None
    return _load(text, source, hashlib.sha256(data).hexdigest(), catalog)


def load_rules_text(text: str, source: str = "<rules>", *, catalog: Catalog | None = None) -> RuleSet:
    """Load and check rules given as YAML text. Raises PolicyError listing every problem."""
    return _load(text, source, hashlib.sha256(text.encode("utf-8")).hexdigest(), catalog)


def _load(text: str, source: str, digest: str, catalog: Catalog | None) -> RuleSet:
    from .evaluate import build_index

    cat = catalog if catalog is not None else default_catalog()
    src = Source(text, source)
    try:
        ruleset = _read_document(src, cat)
    finally:
        src.close()
        cat.save()
    if src.errors or ruleset is None:
        raise PolicyError(src.errors or [f"{source}: no rules could be read"])
    ruleset.source = source
    ruleset.digest = digest
    ruleset.warnings = src.warnings
    ruleset.index = build_index(ruleset)
    return ruleset


def _read_document(src: Source, cat: Catalog) -> RuleSet | None:
    root = src.root()
    if root is None:
        if not src.errors:
            src.error(None, "the file is empty; start it with 'version: 1' and a 'rules:' list")
        return None
    top = src.mapping(root, "the rules file", TOP_KEYS)
    if top is None:
        return None

    if "version" not in top:
        src.error(root, "missing 'version: 1' at the top of the file")
    else:
        node = top["version"][1]
        if not (isinstance(node, ScalarNode) and node.tag == INT and src.scalar(node) == 1):
            src.error(node, f"'version' must be 1 (the only version of the rule language), not {describe(node)}")

    description = ""
    if "description" in top:
        description = src.text(top["description"][1], "description") or ""

    egress_default = "allow"
    if "egress" in top:
        eg = src.mapping(top["egress"][1], "'egress'", EGRESS_KEYS)
        if eg and "default" in eg:
            value = src.text(eg["default"][1], "egress.default")
            if value is not None and value not in EGRESS_DEFAULTS:
                src.error(eg["default"][1], f"'egress.default' must be allow or deny, not {value!r}{did_you_mean(value, EGRESS_DEFAULTS)}")
            elif value is not None:
                egress_default = value

    rules: list[Rule] = []
    if "rules" not in top:
        src.error(root, "missing 'rules:' (a list of rules)")
    else:
        node = top["rules"][1]
        if not isinstance(node, SequenceNode):
            src.error(node, f"'rules' must be a list of rules (lines starting with '- '), not {describe(node)}")
        else:
            if not node.value:
                src.warn(node, "the rule list is empty: every AWS call will be denied")
            seen: dict[str, int] = {}
            for position, rule_node in enumerate(node.value):
                rule = _read_rule(src, cat, rule_node, position, seen)
                if rule is not None:
                    rules.append(rule)
    return RuleSet(rules=tuple(rules), description=description, egress_default=egress_default)


def _read_rule(src: Source, cat: Catalog, node: Node, position: int, seen: dict[str, int]) -> Rule | None:
    rid = _peek_id(node)
    label = f"rule '{rid}'" if rid is not None else f"rule #{position + 1}"
    fields = src.mapping(node, "a rule", RULE_KEYS, label)
    if fields is None:
        return None
    errors_before = src.error_count

    rule_id = None
    if "id" not in fields:
        src.error(node, f"{label}: missing 'id'; give every rule a unique id such as 'deny-delete-buckets'")
    else:
        id_node = fields["id"][1]
        rule_id = src.text(id_node, "id", label)
        if rule_id is not None:
            if not RULE_ID.fullmatch(rule_id):
                src.error(id_node, f"{label}: id {rule_id!r} must be letters, digits and - _ . : / (starting with a letter or digit, at most 128)")
            elif rule_id in seen:
                src.error(id_node, f"{label}: duplicate rule id '{rule_id}' (first used on line {seen[rule_id]}); ids must be unique")
            else:
                seen[rule_id] = id_node.start_mark.line + 1

    action = None
    if "action" not in fields:
        src.error(node, f"{label}: missing 'action'; write 'action: allow', 'action: deny' or 'action: approve'")
    else:
        a_node = fields["action"][1]
        action = src.text(a_node, "action", label)
        if action is not None and action not in ACTIONS:
            src.error(a_node, f"{label}: unknown action {action!r}{did_you_mean(action, ACTIONS) or ''}; use allow, deny or approve")
            action = None

    description = src.text(fields["description"][1], "description", label) or "" if "description" in fields else ""
    message = src.text(fields["message"][1], "message", label) or "" if "message" in fields else ""

    guards: list[str] = []
    if "guards" in fields:
        items = src.texts(fields["guards"][1], "guards", label) or []
        for harm, item_node in items:
            if harm not in HARMS:
                src.warn(item_node, f"{label}: 'guards: {harm}' is not one of the known harms{did_you_mean(harm, HARMS)} ({', '.join(HARMS)})")
            guards.append(harm)

    approval = None
    if "approval" in fields:
        if action is not None and action != "approve":
            src.error(fields["approval"][0], f"{label}: 'approval' is only for approve rules, and this rule's action is '{action}'; remove 'approval' or write 'action: approve'")
        else:
            approval = _read_approval(src, fields["approval"][1], label)
    if action == "approve" and approval is None:
        approval = Approval()

    match = Match()
    if "match" in fields:
        match = _read_match(src, cat, fields["match"][1], label, action)

    if src.error_count > errors_before or rule_id is None or action is None:
        return None
    return Rule(
        id=rule_id,
        action=action,
        match=match,
        description=description,
        guards=tuple(guards),
        message=message.strip(),
        approval=approval,
        line=node.start_mark.line + 1,
        position=position,
    )


def _peek_id(node: Node) -> str | None:
    if not hasattr(node, "value") or not isinstance(node.value, list):
        return None
    for pair in node.value:
        if isinstance(pair, tuple) and len(pair) == 2:
            k, v = pair
            if isinstance(k, ScalarNode) and k.value == "id" and isinstance(v, ScalarNode) and v.value:
                return v.value
    return None


def _read_approval(src: Source, node: Node, label: str) -> Approval | None:
    fields = src.mapping(node, "'approval'", APPROVAL_KEYS, label)
    if fields is None:
        return None
    timeout = DEFAULT_TIMEOUT
    if "timeout" in fields:
        t_node = fields["timeout"][1]
        value = src.scalar(t_node) if isinstance(t_node, ScalarNode) and t_node.tag in (INT, "tag:yaml.org,2002:str") else None
        seconds = parse_timeout(value)
        if seconds is None:
            src.error(t_node, f"{label}: approval timeout {describe(t_node)} does not parse; write seconds (300) or a duration such as 300s, 5m, 1h30m or 2d")
        elif not 1 <= seconds <= MAX_TIMEOUT:
            src.error(t_node, f"{label}: approval timeout must be between 1 second and 7 days, not {seconds} seconds")
        else:
            timeout = seconds
    approvers: tuple[str, ...] = ()
    if "approvers" in fields:
        items = src.texts(fields["approvers"][1], "approvers", label)
        if items is not None:
            approvers = tuple(dict.fromkeys(name for name, _ in items))
            if not approvers:
                src.error(fields["approvers"][1], f"{label}: 'approvers' is empty, so nobody could approve; list approvers or remove the key to let any authorised approver decide")
    mode = "hold"
    if "mode" in fields:
        m_node = fields["mode"][1]
        value = src.text(m_node, "mode", label)
        if value is not None and value not in MODES:
            src.error(m_node, f"{label}: approval mode must be 'hold' (pause the call until someone decides) or 'queue' (answer at once; the retried call succeeds once approved), not {value!r}{did_you_mean(value, MODES)}")
        elif value is not None:
            mode = value
    return Approval(timeout=timeout, approvers=approvers, mode=mode)


def _read_match(src: Source, cat: Catalog, node: Node, label: str, action: str | None) -> Match:
    match = Match()
    fields = src.mapping(node, "'match'", MATCH_KEYS, label)
    if fields is None:
        return match

    def patterns(key: str, *, lower: bool = False) -> list[tuple[str, Node]] | None:
        if key not in fields:
            return None
        items = src.texts(fields[key][1], key, label)
        if items is None:
            return None
        if not items:
            src.warn(fields[key][1], f"{label}: '{key}' is an empty list, so this rule can never match; remove '{key}' to match anything")
            match.never = True
        good = []
        for value, item_node in items:
            if lower:
                value = value.lower()
            problem = globs.glob_problem(value)
            if problem:
                src.error(item_node, f"{label}: {key}: {problem}")
                continue
            good.append((value, item_node))
        return good

    # egress rules: hosts
    hosts = patterns("hosts", lower=True)
    if "hosts" in fields:
        for key in AWS_ONLY_MATCH_KEYS:
            if key in fields:
                src.error(fields[key][0], f"{label}: '{key}' cannot be combined with 'hosts': a rule with 'hosts' is an egress rule for non-AWS traffic; split it into two rules")
        if action == "approve":
            src.error(fields["hosts"][0], f"{label}: an egress rule ('hosts') can only allow or deny; change the action")
    if hosts is not None:
        for value, item_node in hosts:
            if "/" in value or value.startswith(("http:", "https:")):
                src.error(item_node, f"{label}: hosts: {value!r} is not a host name; write the host alone, like 'pypi.org' or '*.pypi.org'")
        match.hosts = globs.compile_patterns([v.rstrip(".") for v, _ in hosts])

    # services
    services = patterns("services")
    known_services = cat.services()
    named_services: set[str] | None = None
    if services is not None:
        named_services = set()
        for value, item_node in services:
            if globs.is_glob(value):
                rx = globs.compile_one(value)
                hits = {s for s in known_services if rx.match(s)}
                if not hits:
                    src.warn(item_node, f"{label}: services glob {value!r} matches no AWS service, so this rule can never match")
                named_services |= hits
            elif value not in known_services:
                hint = did_you_mean(value, known_services)
                src.error(item_node, f"{label}: unknown service {value!r}{hint}; use botocore's service names (s3, dynamodb, logs, ...)")
            else:
                named_services.add(value)
        match.services = globs.compile_patterns([v for v, _ in services])

    # operations
    ops = patterns("operations")
    if ops is not None:
        scope = sorted(named_services) if named_services is not None else None
        for value, item_node in ops:
            if ":" in value:
                svc, _, op = value.partition(":")
                src.error(item_node, f"{label}: operations: {value!r}: write the service under 'services' ({svc!r}) and the operation name alone ({op!r})")
                continue
            if scope is None:
                catalog_ops = cat.all_operations()
                where = "any AWS service"
            else:
                catalog_ops = {s: cat.operations(s) for s in scope}
                where = ", ".join(scope) if scope else "the named services"
            if globs.is_glob(value):
                rx = globs.compile_one(value)
                if not any(rx.match(op) for names in catalog_ops.values() for op in names):
                    src.warn(item_node, f"{label}: operations glob {value!r} matches no operation of {where}, so this rule can never match")
            elif not any(value in names for names in catalog_ops.values()):
                if scope is not None and not scope:
                    continue  # the services were wrong; that error is already reported
                every: set[str] = set().union(*catalog_ops.values()) if catalog_ops else set()
                hint = did_you_mean(value, every)
                elsewhere = ""
                if not hint and scope is not None:
                    owners = sorted(s for s, names in cat.all_operations().items() if value in names)
                    if owners:
                        elsewhere = f" (it is an operation of {', '.join(owners[:5])}{', ...' if len(owners) > 5 else ''}: add the service to 'services')"
                src.error(item_node, f"{label}: unknown operation {value!r}: not an operation of {where}{hint}{elsewhere}")
        match.operations = globs.compile_patterns([v for v, _ in ops])

    # resources
    resources = patterns("resources")
    if resources is not None:
        for value, item_node in resources:
            if not (value.startswith("arn:") or value[:1] in globs.GLOB_CHARS):
                src.error(item_node, f"{label}: resources: {value!r} is not an ARN glob; write an ARN such as 'arn:aws:s3:::{value}' or 'arn:aws:s3:::{value}/*'")
        match.resources = globs.compile_patterns([v for v, _ in resources])

    # regions
    regions = patterns("regions")
    if regions is not None:
        known_regions = cat.regions()
        for value, item_node in regions:
            if known_regions and not globs.is_glob(value) and value not in known_regions:
                src.warn(item_node, f"{label}: region {value!r} is not a region botocore knows{did_you_mean(value, known_regions)}")
        match.regions = globs.compile_patterns([v for v, _ in regions])

    agents = patterns("agents")
    if agents is not None:
        match.agents = globs.compile_patterns([v for v, _ in agents])

    if "read_only" in fields:
        match.read_only = src.boolean(fields["read_only"][1], "read_only", label)
    if "unknown" in fields:
        match.unknown = src.boolean(fields["unknown"][1], "unknown", label)
        if match.unknown and "operations" in fields:
            src.error(fields["unknown"][0], f"{label}: 'unknown: true' matches calls whose operation could not be identified, so it cannot be combined with 'operations'; remove one of them")

    if "when" in fields:
        w_node = fields["when"][1]
        expr = src.text(w_node, "when", label)
        if expr is not None:
            try:
                compiled = jmespath.compile(expr)
            except jmespath.exceptions.JMESPathError as exc:
                src.error(w_node, f"{label}: invalid JMESPath in 'when': {_jmespath_problem(exc, expr)}")
            else:
                match.when = compiled
                match.when_text = expr
                for name in sorted(_root_fields(compiled.parsed)):
                    if name not in CONDITION_FIELDS:
                        hint = did_you_mean(name, CONDITION_FIELDS)
                        quote = "" if hint else f"; to compare with the text {name!r}, quote it: '{name}'"
                        src.warn(w_node, f"{label}: 'when' refers to '{name}', which the call document does not have{hint}{quote} (fields: {', '.join(CONDITION_FIELDS)})")
    return match


def _jmespath_problem(exc: Exception, expr: str) -> str:
    first = str(exc).splitlines()[0].rstrip(": ") if str(exc) else type(exc).__name__
    position = getattr(exc, "lex_position", None)
    where = f" at character {position + 1}" if isinstance(position, int) else ""
    return (f"{first}{where} of {expr!r}; see https://jmespath.org/specification.html "
            "(text literals take single quotes: params.Bucket == 'scratch')")


_INHERIT = {"comparator", "or_expression", "and_expression", "not_expression", "function_expression",
            "multi_select_list", "multi_select_dict", "key_val_pair", "flatten"}
_FIRST_ONLY = {"subexpression", "index_expression", "projection", "value_projection", "filter_projection", "pipe"}


def _root_fields(node: dict[str, Any], at_root: bool = True) -> set[str]:
    """The field names an expression reads from the top of the document."""
    found: set[str] = set()
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field":
        if at_root:
            found.add(node["value"])
    elif kind in _INHERIT:
        for child in children:
            found |= _root_fields(child, at_root)
    elif kind in _FIRST_ONLY:
        if children:
            found |= _root_fields(children[0], at_root)
            for child in children[1:]:
                found |= _root_fields(child, False)
    # literal, current, identity, index, slice, expref: nothing read at the root
    return found

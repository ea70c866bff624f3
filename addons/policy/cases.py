"""Policy test cases, for ``chaperone policy test RULES CASES``.

A cases file::

    cases:
      - name: agents may read objects
        call: {service: s3, operation: GetObject, params: {Bucket: b, Key: k}, agent: bot}
        expect: allow            # allow | deny | approve
        rule: allow-read         # optional: the deciding rule (null: the default decided)
      - name: no uploads to the package index
        call: {host: upload.pypi.org, agent: bot}     # no service: non-AWS traffic
        expect: deny

Call keys: service, operation (null for an unidentified call), params, agent,
session, region (default us-east-1), partition, resources (ARNs, default []),
read_only (default: guessed from the operation name), access_key, host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from ..aws.call import Call, jsonable
from ..aws.readonly import name_reads, operation_reads
from .catalog import Catalog, default_catalog
from .evaluate import decide
from .schema import ACTIONS, Decision, PolicyError, RuleSet
from ..config.yamlsrc import NULL, Source, describe, did_you_mean

CASE_KEYS = ("name", "description", "call", "expect", "rule")
CALL_KEYS = ("service", "operation", "params", "agent", "session", "region", "partition",
             "resources", "read_only", "access_key", "host")

def guess_read_only(operation: str | None, service: str | None = None) -> bool:
    """Whether a test case's call only reads, as the classifier would say."""
    return operation_reads(service, operation) if service else name_reads(operation)


@dataclass(slots=True)
class Case:
    name: str
    call: Call | None  # None: non-AWS traffic to `host`
    agent: str | None
    expect: str
    session: str | None = None
    host: str | None = None
    rule: str | None = None
    check_rule: bool = False  # whether `rule` was given (null: expect the default to decide)
    line: int = 0
    description: str = ""


@dataclass(slots=True)
class CaseResult:
    case: Case
    decision: Decision
    passed: bool
    problem: str = ""  # why it failed, for people

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.case.name,
            "line": self.case.line,
            "expect": self.case.expect,
            "expect_rule": self.case.rule if self.case.check_rule else None,
            "passed": self.passed,
            "problem": self.problem,
            "call": self.case.call.to_record() if self.case.call is not None else {"host": self.case.host},
            "agent": self.case.agent,
            "decision": self.decision.to_record(),
        }


def load_cases(path: str | os.PathLike, *, catalog: Catalog | None = None) -> list[Case]:
    source = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{source}: cannot read the cases file: {exc}"]) from None
    return load_cases_text(text, source, catalog=catalog)


def load_cases_text(text: str, source: str = "<cases>", *, catalog: Catalog | None = None) -> list[Case]:
    cat = catalog if catalog is not None else default_catalog()
    src = Source(text, source)
    cases: list[Case] = []
    try:
        root = src.root()
        if root is None and src.error_count == 0:
            src.error(None, "the file is empty; start it with 'cases:' and a list of cases")
        top = src.mapping(root, "the cases file", ("cases",)) if root is not None else None
        if top is not None:
            if "cases" not in top:
                src.error(root, "missing 'cases:' (a list of cases)")
            else:
                node = top["cases"][1]
                if not isinstance(node, SequenceNode):
                    src.error(node, f"'cases' must be a list, not {describe(node)}")
                else:
                    for n, case_node in enumerate(node.value):
                        case = _read_case(src, cat, case_node, n)
                        if case is not None:
                            cases.append(case)
    finally:
        src.close()
        cat.save()
    if src.errors:
        raise PolicyError(src.errors)
    return cases


def _read_case(src: Source, cat: Catalog, node: Node, n: int) -> Case | None:
    label = f"case #{n + 1}"
    fields = src.mapping(node, "a case", CASE_KEYS, label)
    if fields is None:
        return None
    before = src.error_count
    name = label
    if "name" in fields:
        name = src.text(fields["name"][1], "name", label) or label
        label = f"case {name!r}"
    description = src.text(fields["description"][1], "description", label) or "" if "description" in fields else ""
    expect = None
    if "expect" not in fields:
        src.error(node, f"{label}: missing 'expect' (allow, deny or approve)")
    else:
        expect = src.text(fields["expect"][1], "expect", label)
        if expect is not None and expect not in ACTIONS:
            src.error(fields["expect"][1], f"{label}: 'expect' must be allow, deny or approve, not {expect!r}{did_you_mean(expect, ACTIONS)}")
    rule, check_rule = None, False
    if "rule" in fields:
        check_rule = True
        r_node = fields["rule"][1]
        if not (isinstance(r_node, ScalarNode) and r_node.tag == NULL):
            rule = src.text(r_node, "rule", label)
    if "call" not in fields:
        src.error(node, f"{label}: missing 'call' (the call to decide)")
        return None
    call_fields = src.mapping(fields["call"][1], "'call'", CALL_KEYS, label)
    if call_fields is None:
        return None

    def text_of(key: str, default: str | None = None) -> str | None:
        if key not in call_fields:
            return default
        v_node = call_fields[key][1]
        if isinstance(v_node, ScalarNode) and v_node.tag == NULL:
            return None
        return src.text(v_node, key, label)

    agent = text_of("agent")
    session = text_of("session")
    host = text_of("host")
    call: Call | None = None
    if "service" not in call_fields:
        if host is None:
            src.error(call_fields.get("host", (fields["call"][1],))[0], f"{label}: the call needs a 'service' and 'operation' (an AWS call) or a 'host' (non-AWS traffic)")
        others = [k for k in call_fields if k not in ("agent", "session", "host")]
        if others:
            src.error(call_fields[others[0]][0], f"{label}: '{others[0]}' needs a 'service' (without one the case is non-AWS traffic to 'host')")
    else:
        service = text_of("service")
        if service is not None and service not in cat.services():
            src.error(call_fields["service"][1], f"{label}: unknown service {service!r}{did_you_mean(service, cat.services())}")
        if "operation" not in call_fields:
            src.error(fields["call"][1], f"{label}: missing 'operation' (write 'operation: null' for an unidentified call)")
        operation = text_of("operation")
        if service and operation is not None and service in cat.services() and operation not in cat.operations(service):
            src.error(call_fields["operation"][1], f"{label}: {operation!r} is not an operation of {service}{did_you_mean(operation, cat.operations(service))}")
        params: dict[str, Any] = {}
        if "params" in call_fields:
            p_node = call_fields["params"][1]
            try:
                value = src.scalar(p_node)
            except yaml.YAMLError as exc:
                src.error(p_node, f"{label}: 'params' could not be read: {exc}")
                value = {}
            if not isinstance(value, dict):
                src.error(p_node, f"{label}: 'params' must be a mapping, not {describe(p_node)}")
            else:
                params = jsonable(value)
        resources: list[str] = []
        if "resources" in call_fields:
            resources = [v for v, _ in (src.texts(call_fields["resources"][1], "resources", label) or [])]
        read_only = guess_read_only(operation, service)
        if "read_only" in call_fields:
            ro = src.boolean(call_fields["read_only"][1], "read_only", label)
            read_only = bool(ro)
        region = text_of("region", "us-east-1") or ""
        if src.error_count == before:
            call = Call(
                host=host or f"{service}.{region or 'us-east-1'}.amazonaws.com",
                service=service or "",
                operation=operation,
                region=region,
                partition=text_of("partition", "aws") or "aws",
                access_key=text_of("access_key"),
                auth="header",
                params=params,
                resources=resources,
                read_only=read_only,
                unknown_reason=None if operation is not None else "unidentified (test case)",
            )
    if src.error_count > before or expect is None:
        return None
    return Case(name=name, call=call, agent=agent, expect=expect, session=session, host=host,
                rule=rule, check_rule=check_rule, line=node.start_mark.line + 1, description=description)


def run_cases(rules: RuleSet, cases: list[Case]) -> list[CaseResult]:
    results = []
    for case in cases:
        decision = decide(rules, case.call, case.agent, session=case.session, host=case.host)
        problems = []
        if decision.action != case.expect:
            problems.append(f"expected {case.expect}, got {decision.action} ({decision.reason})")
        if case.check_rule and decision.rule != case.rule:
            want = f"rule '{case.rule}'" if case.rule else "the default"
            got = f"rule '{decision.rule}'" if decision.rule else "the default"
            problems.append(f"expected {want} to decide, but {got} did")
        if case.check_rule and case.rule is not None and rules.get(case.rule) is None:
            problems.append(f"the rule set has no rule '{case.rule}'{did_you_mean(case.rule, [r.id for r in rules.rules])}")
        results.append(CaseResult(case=case, decision=decision, passed=not problems, problem="; ".join(problems)))
    return results

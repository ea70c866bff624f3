"""`chaperone policy check|test` and `chaperone explain`."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from .cli import Failure
from .policy import PolicyError, decide, load_cases, load_rules, run_cases
from .policy.cases import load_cases_text

console = Console()


def _load(path: str):
    try:
        return load_rules(path)
    except PolicyError as e:
        for line in e.errors:
            console.print(f"[red]{line}[/]", highlight=False, soft_wrap=True)
        raise Failure(f"{path}: {len(e.errors)} error(s); the gateway would not start on (or reload to) it") from e


def cmd_check(args: argparse.Namespace) -> int:
    rules = _load(args.file)
    for warning in rules.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    console.print(f"{args.file}: {len(rules.rules)} rules, OK" + (f" ({len(rules.warnings)} warnings)" if rules.warnings else ""))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    rules = _load(args.rules)
    try:
        cases = load_cases(args.cases)
    except PolicyError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    results = run_cases(rules, cases)
    table = Table(title=f"{args.cases} against {args.rules}")
    for col in ("", "case", "expected", "got", "deciding rule", "problem"):
        table.add_column(col)
    for r in results:
        table.add_row(
            "[green]PASS[/]" if r.passed else "[red]FAIL[/]", r.case.name, r.case.expect,
            r.decision.action, r.decision.rule or "(default)", r.problem,
        )
    console.print(table)
    failed = sum(not r.passed for r in results)
    console.print(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise Failure(f"{failed} of {len(results)} cases failed")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    rules = _load(args.rules)
    service, _, operation = args.call.partition(":")
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise Failure(f"--param takes KEY=VALUE (JSON values allowed), got {item!r}")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    call = {"service": service, "operation": operation or None, "params": params, "region": args.region}
    if args.agent:
        call["agent"] = args.agent
    if args.resource:
        call["resources"] = args.resource
    try:
        case = load_cases_text(json.dumps({"cases": [{"name": "explain", "call": call, "expect": "allow"}]}), "<explain>")[0]
    except PolicyError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    decision = decide(rules, case.call, case.agent, host=case.host)
    table = Table(title=f"Rules that match {args.call} (agent {args.agent or '-'}, {args.region})")
    for col in ("rule", "action", "guards", "description"):
        table.add_column(col)
    for rule_id in decision.matched:
        rule = rules.get(rule_id)
        mark = " [bold](decides)[/]" if rule_id == decision.rule else ""
        table.add_row(rule_id + mark, rule.action, ", ".join(rule.guards), rule.description)
    console.print(table)
    console.print(f"[bold]{decision.action.upper()}[/]: {decision.reason}", highlight=False)
    for error in decision.errors:
        console.print(f"[yellow]condition error:[/] {error}", highlight=False)
    return 0


def register(sub) -> None:
    policy = sub.add_parser("policy", help="check a rule set, or run test cases against it")
    psub = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    check = psub.add_parser("check", help="load a rules file strictly and report every problem")
    check.add_argument("file")
    check.set_defaults(func=cmd_check)
    test = psub.add_parser("test", help="run YAML test cases (a call and the decision expected) against a rule set")
    test.add_argument("rules")
    test.add_argument("cases")
    test.set_defaults(func=cmd_test)

    explain = sub.add_parser("explain", help="show every rule that matches one described call, and the decision")
    explain.add_argument("call", metavar="SERVICE:OPERATION", help="e.g. s3:DeleteBucket")
    explain.add_argument("--rules", default="rules/default.yaml", metavar="FILE")
    explain.add_argument("--agent", help="the agent making the call")
    explain.add_argument("--region", default="us-east-1")
    explain.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter (repeatable)")
    explain.add_argument("--resource", action="append", default=[], metavar="ARN", help="a resource ARN (repeatable)")
    explain.set_defaults(func=cmd_explain)

#!/usr/bin/env python3
"""Benchmark the policy engine: decision time per call with 10, 1,000 and 10,000 rules.

Each rule set is generated as YAML (a realistic mix: exact operations, globs,
agent-, region- and resource-scoped rules, JMESPath conditions, service-less
globs), loaded through the strict loader, and asked to decide a stream of
calls drawn from the same services. Prints load time and the median and p99
decision time, both cold (the first time a service/operation/agent is seen)
and warm. Target: under 50 us median at 10,000 rules.

    python scripts/bench_policy.py [--calls N] [--seed S] [--sizes 10,1000,10000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from addons.aws.call import Call  # noqa: E402
from addons.policy import decide, default_catalog, guess_read_only, load_rules_text  # noqa: E402

SERVICES = [
    "s3", "dynamodb", "ec2", "iam", "lambda", "sqs", "sns", "kms", "rds", "logs", "cloudwatch",
    "secretsmanager", "ssm", "sts", "ecs", "eks", "cloudformation", "cloudtrail", "route53", "ecr",
    "elasticache", "kinesis", "athena", "glue", "stepfunctions", "events", "apigateway", "efs",
    "backup", "organizations",
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
AGENTS = [f"agent-{i}" for i in range(20)]
PREFIXES = ["Delete*", "Describe*", "Get*", "List*", "Put*", "Create*", "Update*", "Start*", "Stop*", "*Policy*"]
CONDITIONS = [
    "params.Bucket != 'scratch'",
    "starts_with(params.TableName || '', 'prod-')",
    "length(resources) > `1`",
    "agent == 'agent-3' || region == 'eu-west-1'",
]


def make_rules(n: int, rng: random.Random, ops: dict[str, list[str]]) -> str:
    lines = ["version: 1", "rules:", "  - id: allow-read", "    match: {read_only: true}", "    action: allow"]
    for i in range(n - 1):
        svc = rng.choice(SERVICES)
        action = rng.choices(["allow", "deny", "approve"], [5, 3, 2])[0]
        kind = rng.random()
        match: list[str] = []
        if kind < 0.55:
            picked = rng.sample(ops[svc], k=min(len(ops[svc]), rng.randint(1, 3)))
            match += [f"services: [{svc}]", f"operations: [{', '.join(picked)}]"]
        elif kind < 0.70:
            match += [f"services: [{svc}]", f"operations: ['{rng.choice(PREFIXES)}']"]
        elif kind < 0.78:
            match += [f"services: [{svc}]", f"operations: [{rng.choice(ops[svc])}]", f"agents: [{rng.choice(AGENTS)}, 'ci-*']"]
        elif kind < 0.84:
            match += [f"services: [{svc}]", f"regions: [{rng.choice(REGIONS)}, 'ap-*']"]
        elif kind < 0.90:
            match += [f"services: [{svc}]", f"operations: [{rng.choice(ops[svc])}]",
                      f"resources: ['arn:aws:{svc}:*:111122223333:*prod-{rng.randint(0, 99)}*']"]
        elif kind < 0.97:
            match += [f"services: [{svc}]", f"operations: [{rng.choice(ops[svc])}]", f'when: "{rng.choice(CONDITIONS)}"']
        else:
            match += [f"operations: ['{rng.choice(PREFIXES[:3])}']", f"agents: [{rng.choice(AGENTS)}]"]
        lines.append(f"  - id: rule-{i}")
        lines.append("    match:")
        lines += [f"      {m}" for m in match]
        lines.append(f"    action: {action}")
    return "\n".join(lines) + "\n"


def make_calls(n: int, rng: random.Random, ops: dict[str, list[str]]) -> list[tuple[Call, str]]:
    calls = []
    for _ in range(n):
        svc = rng.choice(SERVICES)
        op = rng.choice(ops[svc])
        region = rng.choice(REGIONS)
        name = f"prod-{rng.randint(0, 120)}"
        calls.append((
            Call(
                host=f"{svc}.{region}.amazonaws.com", service=svc, operation=op, region=region,
                params={"Bucket": name, "TableName": name, "Key": "k"},
                resources=[f"arn:aws:{svc}:{region}:111122223333:thing/{name}"],
                read_only=guess_read_only(op),
            ),
            rng.choice(AGENTS),
        ))
    return calls


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="calls decided per rule set (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="10,1000,10000")
    args = parser.parse_args()

    cat = default_catalog()
    ops = {s: sorted(cat.operations(s)) for s in SERVICES}
    print(f"{'rules':>7} {'load':>9} {'cold p50':>10} {'cold p99':>10} {'warm p50':>10} {'warm p99':>10} {'matched/call':>13}")
    ok = True
    for size in (int(s) for s in args.sizes.split(",")):
        rng = random.Random(args.seed)
        text = make_rules(size, rng, ops)
        t0 = time.perf_counter()
        rules = load_rules_text(text, f"<bench-{size}>")
        load_s = time.perf_counter() - t0
        calls = make_calls(args.calls, rng, ops)
        clock = time.perf_counter_ns
        cold: list[float] = []
        matched = 0
        for call, agent in calls:
            t = clock()
            d = decide(rules, call, agent)
            cold.append((clock() - t) / 1000)
            matched += len(d.matched)
        warm: list[float] = []
        for call, agent in calls:
            t = clock()
            decide(rules, call, agent)
            warm.append((clock() - t) / 1000)
        p50 = statistics.median(warm)
        ok = ok and (size < 10000 or p50 < 50)
        print(f"{size:>7} {load_s * 1000:>7.0f}ms {statistics.median(cold):>8.1f}us {pct(cold, 0.99):>8.1f}us "
              f"{p50:>8.1f}us {pct(warm, 0.99):>8.1f}us {matched / len(calls):>13.1f}")
    print("target: warm median under 50 us at 10,000 rules:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

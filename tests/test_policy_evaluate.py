"""The evaluator: precedence, each match key, conditions, unidentified calls, egress."""

from __future__ import annotations

import json
import textwrap

import pytest

from addons.aws.call import Call
from addons.policy import Decision, RuleSet, condition_document, decide, load_rules_text


def rules(body: str, header: str = "version: 1\nrules:\n") -> RuleSet:
    return load_rules_text(header + textwrap.dedent(body), "<test>")


def call(service: str = "s3", operation: str | None = "GetObject", **kw) -> Call:
    kw.setdefault("host", f"{service or 'unknown'}.us-east-1.amazonaws.com")
    kw.setdefault("region", "us-east-1")
    return Call(service=service, operation=operation, **kw)


PRECEDENCE = """
- id: allow-all
  action: allow
- id: hold-s3-writes
  match: {services: [s3], read_only: false}
  action: approve
  message: writes wait
  approval: {timeout: 2m, approvers: [alice], mode: queue}
- id: deny-deletes
  match: {services: [s3], operations: ["Delete*"]}
  action: deny
  message: no deleting
"""


class TestPrecedence:
    def test_deny_beats_approve_and_allow(self):
        d = decide(rules(PRECEDENCE), call(operation="DeleteBucket"), "bot")
        assert d.action == "deny"
        assert d.rule == "deny-deletes"
        assert d.matched == ["allow-all", "hold-s3-writes", "deny-deletes"]
        assert d.message == "no deleting"
        assert d.reason == "denied by rule 'deny-deletes': no deleting"
        assert d.approval is None

    def test_approve_beats_allow(self):
        d = decide(rules(PRECEDENCE), call(operation="PutObject"), "bot")
        assert d.action == "approve"
        assert d.rule == "hold-s3-writes"
        assert d.matched == ["allow-all", "hold-s3-writes"]
        assert d.approval == {"timeout": 120, "approvers": ["alice"], "mode": "queue"}
        assert "needs approval under rule 'hold-s3-writes'" in d.reason

    def test_allow(self):
        d = decide(rules(PRECEDENCE), call(operation="GetObject", read_only=True), "bot")
        assert (d.action, d.rule, d.matched) == ("allow", "allow-all", ["allow-all"])
        assert d.reason == "allowed by rule 'allow-all'"

    def test_default_deny(self):
        rs = rules("""
        - id: allow-s3
          match: {services: [s3]}
          action: allow
        """)
        d = decide(rs, call("dynamodb", "DeleteTable"), "bot")
        assert d.action == "deny"
        assert d.rule is None
        assert d.matched == []
        assert d.reason == "no rule allows dynamodb:DeleteTable (default deny)"

    def test_order_in_file_does_not_change_the_outcome(self):
        reordered = rules("""
        - id: deny-deletes
          match: {services: [s3], operations: ["Delete*"]}
          action: deny
        - id: allow-all
          action: allow
        """)
        assert decide(reordered, call(operation="DeleteObject"), "bot").action == "deny"
        reordered2 = rules("""
        - id: allow-all
          action: allow
        - id: deny-deletes
          match: {services: [s3], operations: ["Delete*"]}
          action: deny
        """)
        assert decide(reordered2, call(operation="DeleteObject"), "bot").action == "deny"

    def test_first_rule_of_the_winning_action_decides(self):
        rs = rules("""
        - id: hold-a
          match: {services: [s3]}
          action: approve
          approval: {timeout: 10}
        - id: hold-b
          match: {services: [s3]}
          action: approve
          approval: {timeout: 99}
        """)
        d = decide(rs, call(operation="PutObject"), "bot")
        assert d.rule == "hold-a"
        assert d.approval["timeout"] == 10
        assert d.matched == ["hold-a", "hold-b"]

    def test_approve_defaults(self):
        rs = rules("""
        - id: hold
          action: approve
        """)
        d = decide(rs, call(), "bot")
        assert d.approval == {"timeout": 300, "approvers": [], "mode": "hold"}

    def test_guards_and_message_fallback_to_description(self):
        rs = rules("""
        - id: deny-x
          description: Deleting buckets destroys data.
          guards: [destroy-data]
          match: {services: [s3], operations: [DeleteBucket]}
          action: deny
        """)
        d = decide(rs, call(operation="DeleteBucket"), "bot")
        assert d.guards == ["destroy-data"]
        assert d.message == "Deleting buckets destroys data."

    def test_decision_is_json_serialisable(self):
        d = decide(rules(PRECEDENCE), call(operation="PutObject"), "bot")
        assert isinstance(d, Decision)
        back = json.loads(json.dumps(d.to_record()))
        assert back["action"] == "approve"
        assert back["approval"]["approvers"] == ["alice"]
        # the record is a copy: changing it does not change the rule set
        d.approval["approvers"].append("mallory")
        assert decide(rules(PRECEDENCE), call(operation="PutObject"), "bot").approval["approvers"] == ["alice"]

    def test_empty_rule_set_denies_every_aws_call(self):
        rs = load_rules_text("version: 1\nrules: []\n")
        assert rs.warnings and "every AWS call will be denied" in rs.warnings[0]
        assert decide(rs, call(read_only=True), "bot").action == "deny"


class TestMatchKeys:
    def test_operation_globs_and_exact_names(self):
        rs = rules("""
        - id: allow-some
          match:
            services: [dynamodb]
            operations: [PutItem, "Get*", "Batch[GW]*"]
          action: allow
        """)
        assert decide(rs, call("dynamodb", "PutItem"), "a").action == "allow"
        assert decide(rs, call("dynamodb", "GetItem"), "a").action == "allow"
        assert decide(rs, call("dynamodb", "BatchWriteItem"), "a").action == "allow"
        assert decide(rs, call("dynamodb", "DeleteItem"), "a").action == "deny"
        # operations apply only to the named services
        assert decide(rs, call("s3", "GetObject"), "a").action == "deny"

    def test_service_globs(self):
        rs = rules("""
        - id: allow-cloudwatch-family
          match: {services: ["cloudwatch", "log*"]}
          action: allow
        """)
        assert decide(rs, call("logs", "PutLogEvents"), "a").action == "allow"
        assert decide(rs, call("cloudwatch", "PutMetricData"), "a").action == "allow"
        assert decide(rs, call("lambda", "Invoke"), "a").action == "deny"

    def test_operations_without_services_match_any_service(self):
        rs = rules("""
        - id: allow-all
          action: allow
        - id: deny-deletes-everywhere
          match: {operations: ["Delete*", TerminateInstances]}
          action: deny
        """)
        assert decide(rs, call("sqs", "DeleteQueue"), "a").action == "deny"
        assert decide(rs, call("ec2", "TerminateInstances"), "a").action == "deny"
        assert decide(rs, call("ec2", "RunInstances"), "a").action == "allow"

    def test_agents(self):
        rs = rules("""
        - id: allow-ci
          match: {agents: ["ci-*", release-bot]}
          action: allow
        - id: allow-reads-anyone
          match: {agents: ["*"], read_only: true}
          action: allow
        """)
        assert decide(rs, call(operation="PutObject"), "ci-42").action == "allow"
        assert decide(rs, call(operation="PutObject"), "release-bot").action == "allow"
        assert decide(rs, call(operation="PutObject"), "intern").action == "deny"
        assert decide(rs, call(read_only=True), "intern").rule == "allow-reads-anyone"
        # the memo is per agent: asking again for the first agent still allows
        assert decide(rs, call(operation="PutObject"), "ci-1").action == "allow"

    def test_unverified_caller_is_always_denied(self):
        rs = rules("""
        - id: allow-all
          action: allow
        """)
        d = decide(rs, call(read_only=True), None)
        assert d.action == "deny"
        assert d.rule is None
        assert d.matched == ["allow-all"]
        assert "not a verified agent" in d.reason

    def test_unverified_caller_matches_no_agents_list(self):
        rs = rules("""
        - id: deny-star
          match: {agents: ["*"]}
          action: deny
        """)
        assert decide(rs, call(), None).matched == []

    def test_regions(self):
        rs = rules("""
        - id: allow-eu
          match: {regions: ["eu-*", us-west-2]}
          action: allow
        """)
        assert decide(rs, call(region="eu-west-1"), "a").action == "allow"
        assert decide(rs, call(region="us-west-2"), "a").action == "allow"
        assert decide(rs, call(region="us-east-1"), "a").action == "deny"

    def test_resources_deny_matches_any(self):
        rs = rules("""
        - id: allow-all
          action: allow
        - id: deny-prod
          match: {resources: ["arn:aws:s3:::prod-*"]}
          action: deny
        """)
        touching = ["arn:aws:s3:::scratch/a", "arn:aws:s3:::prod-data/b"]
        assert decide(rs, call(operation="CopyObject", resources=touching), "a").action == "deny"
        assert decide(rs, call(operation="CopyObject", resources=["arn:aws:s3:::scratch/x"]), "a").action == "allow"
        # `*` crosses '/' and ':' like IAM's wildcards
        assert decide(rs, call(operation="PutObject", resources=["arn:aws:s3:::prod-x/deep/key"]), "a").action == "deny"
        # a call without resources does not match a resources rule
        assert decide(rs, call(operation="ListBuckets"), "a").action == "allow"

    def test_resources_allow_needs_every_resource(self):
        rs = rules("""
        - id: allow-scratch
          match: {resources: ["arn:aws:s3:::scratch", "arn:aws:s3:::scratch/*"]}
          action: allow
        """)
        ok = ["arn:aws:s3:::scratch/a", "arn:aws:s3:::scratch/b"]
        mixed = ["arn:aws:s3:::scratch/a", "arn:aws:s3:::prod/b"]
        assert decide(rs, call(operation="CopyObject", resources=ok), "a").action == "allow"
        assert decide(rs, call(operation="CopyObject", resources=mixed), "a").action == "deny"
        assert decide(rs, call(operation="ListBuckets"), "a").action == "deny"

    def test_read_only(self):
        rs = rules("""
        - id: reads
          match: {read_only: true}
          action: allow
        - id: writes-held
          match: {read_only: false}
          action: approve
        """)
        assert decide(rs, call(operation="GetObject", read_only=True), "a").rule == "reads"
        assert decide(rs, call(operation="PutObject", read_only=False), "a").rule == "writes-held"

    def test_all_keys_are_anded(self):
        rs = rules("""
        - id: narrow
          match:
            services: [s3]
            operations: [PutObject]
            agents: [bot]
            regions: [us-east-1]
            read_only: false
            resources: ["arn:aws:s3:::b/*"]
            when: "params.Key == 'k'"
          action: allow
        """)
        good = dict(operation="PutObject", resources=["arn:aws:s3:::b/k"], params={"Bucket": "b", "Key": "k"})
        assert decide(rs, call(**good), "bot").action == "allow"
        assert decide(rs, call(**good), "other").action == "deny"
        assert decide(rs, call(**{**good, "region": "eu-west-1"}), "bot").action == "deny"
        assert decide(rs, call(**{**good, "params": {"Key": "x"}}), "bot").action == "deny"
        assert decide(rs, call(**{**good, "resources": ["arn:aws:s3:::c/k"]}), "bot").action == "deny"
        assert decide(rs, call(**{**good, "read_only": True}), "bot").action == "deny"
        assert decide(rs, call(**{**good, "operation": "PutObjectAcl"}), "bot").action == "deny"


class TestConditions:
    def test_condition_over_params(self):
        rs = rules("""
        - id: allow-all
          action: allow
        - id: deny-non-scratch-deletes
          match:
            services: [s3]
            operations: [DeleteBucket]
            when: "params.Bucket != 'scratch'"
          action: deny
        """)
        assert decide(rs, call(operation="DeleteBucket", params={"Bucket": "prod"}), "a").action == "deny"
        assert decide(rs, call(operation="DeleteBucket", params={"Bucket": "scratch"}), "a").action == "allow"

    def test_condition_sees_agent_session_and_resources(self):
        rs = rules("""
        - id: allow
          match:
            when: "agent == 'bot' && session == 's1' && length(resources) == `1` && region == 'us-east-1' && service == 's3' && operation == 'GetObject'"
          action: allow
        """)
        c = call(resources=["arn:aws:s3:::b/k"])
        assert decide(rs, c, "bot", session="s1").action == "allow"
        assert decide(rs, c, "bot", session="s2").action == "deny"

    def test_jmespath_truthiness(self):
        rs = rules("""
        - id: zero-is-true
          match: {when: "params.Count"}
          action: allow
        """)
        assert decide(rs, call(params={"Count": 0}), "a").action == "allow"
        assert decide(rs, call(params={"Count": []}), "a").action == "deny"
        assert decide(rs, call(params={"Count": ""}), "a").action == "deny"
        assert decide(rs, call(params={}), "a").action == "deny"

    def test_runtime_error_is_no_match_and_recorded(self):
        rs = rules("""
        - id: allow-all
          action: allow
        - id: deny-prod-tables
          match: {when: "starts_with(params.TableName, 'prod-')"}
          action: deny
        """)
        d = decide(rs, call("dynamodb", "GetItem", params={}), "a")
        assert d.action == "allow"
        assert d.matched == ["allow-all"]
        assert len(d.errors) == 1
        assert "deny-prod-tables" in d.errors[0] and "failed" in d.errors[0]
        d2 = decide(rs, call("dynamodb", "GetItem", params={"TableName": "prod-x"}), "a")
        assert (d2.action, d2.errors) == ("deny", [])

    def test_condition_document_is_the_record_form(self):
        c = call("s3", "PutObject", params={"Bucket": "b", "Body": b"\x00\x01"}, access_key="AKIDEXAMPLE")
        doc = condition_document(c, "bot", "s1")
        assert set(doc) >= {"service", "operation", "region", "partition", "agent", "session", "params",
                            "resources", "read_only", "access_key"}
        assert doc["params"]["Body"] == "AAE="  # base64, as in the flow record
        json.dumps(doc)
        rs = rules("""
        - id: allow-body
          match: {when: "params.Body == 'AAE=' && access_key == 'AKIDEXAMPLE'"}
          action: allow
        """)
        assert decide(rs, c, "bot").action == "allow"


class TestUnidentifiedCalls:
    def test_denied_by_default_even_with_star_operations(self):
        rs = rules("""
        - id: allow-everything-named
          match: {operations: ["*"]}
          action: allow
        - id: allow-s3
          match: {services: [s3]}
          action: allow
        """)
        d = decide(rs, call("s3", None, unknown_reason="no operation matched"), "bot")
        assert d.action == "deny"
        assert d.rule is None
        assert d.matched == []
        assert "unidentified" in d.reason and "no operation matched" in d.reason
        # identified calls are still allowed
        assert decide(rs, call("s3", "PutObject"), "bot").action == "allow"

    def test_explicit_unknown_true_allows(self):
        rs = rules("""
        - id: allow-unknown-s3
          match: {services: [s3], unknown: true}
          action: allow
        """)
        assert decide(rs, call("s3", None), "bot").action == "allow"
        assert decide(rs, call("dynamodb", None), "bot").action == "deny"
        # unknown: true never matches an identified call
        assert decide(rs, call("s3", "GetObject"), "bot").action == "deny"

    def test_blanket_deny_still_applies(self):
        rs = rules("""
        - id: allow-unknown
          match: {unknown: true}
          action: allow
        - id: deny-intern
          match: {agents: [intern]}
          action: deny
        - id: hold-s3
          match: {services: [s3]}
          action: approve
        """)
        assert decide(rs, call("s3", None), "intern").rule == "deny-intern"
        # an approve rule without `unknown: true` does not match unidentified calls
        d = decide(rs, call("s3", None), "bot")
        assert (d.action, d.matched) == ("allow", ["allow-unknown"])

    def test_unknown_false_excludes(self):
        rs = rules("""
        - id: allow-all
          match: {unknown: true}
          action: allow
        - id: deny-identified-only
          match: {unknown: false}
          action: deny
        """)
        assert decide(rs, call("s3", None), "bot").action == "allow"
        assert decide(rs, call("s3", "GetObject"), "bot").action == "deny"

    def test_unknown_service(self):
        rs = rules("""
        - id: allow-unknown
          match: {unknown: true}
          action: allow
        - id: deny-s3
          match: {services: [s3]}
          action: deny
        """)
        assert decide(rs, call("", None, host="weird.amazonaws.com"), "bot").action == "allow"


class TestEgress:
    def test_allowed_by_default(self):
        rs = rules("""
        - id: allow-all
          action: allow
        """)
        d = decide(rs, None, None, host="pypi.org")
        assert (d.action, d.rule, d.matched) == ("allow", None, [])
        assert "egress default: allow" in d.reason

    def test_deny_by_host_glob(self):
        rs = rules("""
        - id: no-pypi
          match: {hosts: ["*.pypi.org", "pypi.org"]}
          action: deny
          message: no packages
        - id: deny-everything-aws
          action: deny
        """)
        d = decide(rs, None, "bot", host="Upload.PyPI.org:443")
        assert (d.action, d.rule) == ("deny", "no-pypi")
        assert d.matched == ["no-pypi"]  # AWS rules never decide egress
        assert decide(rs, None, "bot", host="pypi.org.").action == "deny"
        assert decide(rs, None, "bot", host="github.com").action == "allow"
        # egress rules never decide AWS calls
        assert decide(rs, call(), "bot").matched == ["deny-everything-aws"]

    def test_default_deny_with_allow_list_and_agents(self):
        rs = load_rules_text(textwrap.dedent("""
        version: 1
        egress: {default: deny}
        rules:
          - id: allow-pypi
            match: {hosts: [pypi.org, files.pythonhosted.org]}
            action: allow
          - id: allow-model-for-bot
            match: {hosts: ["api.*.com"], agents: [bot], when: "session != 'quarantined'"}
            action: allow
        """))
        assert decide(rs, None, None, host="pypi.org").rule == "allow-pypi"
        d = decide(rs, None, None, host="evil.example")
        assert (d.action, d.rule) == ("deny", None)
        assert "egress default: deny" in d.reason
        assert decide(rs, None, "bot", host="api.anthropic.com").action == "allow"
        assert decide(rs, None, "other", host="api.anthropic.com").action == "deny"
        assert decide(rs, None, "bot", host="api.anthropic.com", session="quarantined").action == "deny"

    def test_host_is_required(self):
        rs = rules("[]\n", header="version: 1\nrules: ")
        with pytest.raises(ValueError):
            decide(rs, None, "bot")


def test_many_rules_index_gives_the_same_answers_as_a_scan():
    """The indexed, memoised evaluator agrees with a plain reading of the rules."""
    import random

    rng = random.Random(7)
    services = {"s3": ["GetObject", "PutObject", "DeleteObject", "DeleteBucket", "ListBuckets"],
                "dynamodb": ["GetItem", "PutItem", "DeleteItem", "DeleteTable", "Query"]}
    agents = ["a", "b", "ci-1"]
    lines = []
    for i in range(300):
        svc = rng.choice(list(services))
        parts = []
        kind = rng.random()
        if kind < 0.4:
            parts.append(f"services: [{svc}]")
            parts.append(f"operations: [{rng.choice(services[svc])}]")
        elif kind < 0.6:
            parts.append(f"services: [{svc}]")
            parts.append(f"operations: ['{rng.choice(['Delete*', 'Get*', 'P*'])}']")
        elif kind < 0.7:
            parts.append(f"operations: ['{rng.choice(['Delete*', 'Get*'])}']")
        elif kind < 0.8:
            parts.append(f"agents: ['{rng.choice(['a', 'ci-*'])}']")
        elif kind < 0.9:
            parts.append(f"services: ['{rng.choice(['s*', 'dynamo*'])}']")
            parts.append(f"read_only: {rng.choice(['true', 'false'])}")
        else:
            parts.append(f"regions: ['{rng.choice(['us-*', 'eu-west-1'])}']")
        action = rng.choice(["allow", "allow", "deny", "approve"])
        lines.append(f"- id: r{i}\n  match: {{{', '.join(parts)}}}\n  action: {action}\n")
    rs = rules("".join(lines))

    def scan(c: Call, agent: str) -> list[str]:
        import fnmatch

        out = []
        for r in rs.rules:
            m = r.match.to_record()
            if "services" in m and not any(fnmatch.fnmatchcase(c.service, p) for p in m["services"]):
                continue
            if "operations" in m and not any(fnmatch.fnmatchcase(c.operation, p) for p in m["operations"]):
                continue
            if "agents" in m and not any(fnmatch.fnmatchcase(agent, p) for p in m["agents"]):
                continue
            if "regions" in m and not any(fnmatch.fnmatchcase(c.region, p) for p in m["regions"]):
                continue
            if "read_only" in m and m["read_only"] != c.read_only:
                continue
            out.append(r.id)
        return out

    for _ in range(2000):
        svc = rng.choice(list(services))
        op = rng.choice(services[svc])
        c = call(svc, op, region=rng.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
                 read_only=op.startswith(("Get", "List", "Query")))
        agent = rng.choice(agents)
        d = decide(rs, c, agent)
        expected = scan(c, agent)
        assert d.matched == expected
        actions = {rs.get(i).action for i in expected}
        want = next((a for a in ("deny", "approve", "allow") if a in actions), "deny")
        assert d.action == want


def test_no_rule_set_at_all_denies_aws_and_allows_egress():
    """What the gateway holds before any rule set has loaded: RuleSet(rules=())."""
    empty = RuleSet(rules=())
    d = decide(empty, call(read_only=True), "bot")
    assert (d.action, d.rule, d.matched) == ("deny", None, [])
    assert decide(empty, None, "bot", host="pypi.org").action == "allow"

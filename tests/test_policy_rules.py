"""The shipped rule sets: they load cleanly, match the JSON Schema, and decide sample calls as intended.

Also the policy-test helpers (load_cases / run_cases) that `chaperone policy test` uses.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from addons.aws.call import Call
from addons.policy import HARMS, PolicyError, decide, guess_read_only, load_cases, load_rules, run_cases

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SHIPPED = [RULES / "default.yaml", *sorted((RULES / "examples").glob("*.yaml"))]


@pytest.fixture(scope="module")
def default():
    return load_rules(RULES / "default.yaml")


def aws(service: str, operation: str | None, *, read_only: bool | None = None, region: str = "us-east-1",
        params: dict | None = None, resources: list[str] | None = None) -> Call:
    return Call(
        host=f"{service}.{region}.amazonaws.com", service=service, operation=operation, region=region,
        params=params or {}, resources=resources or [],
        read_only=guess_read_only(operation) if read_only is None else read_only,
    )


def test_the_expected_files_are_shipped():
    names = {p.relative_to(RULES).as_posix() for p in SHIPPED}
    assert names == {"default.yaml", "examples/read-only.yaml", "examples/sandbox.yaml", "examples/production.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rule_sets_load_without_errors_or_warnings(path):
    rs = load_rules(path)
    assert rs.rules
    assert rs.warnings == []
    assert rs.source == str(path)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rule_sets_match_the_json_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((RULES / "schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_json_schema_rejects_what_the_loader_rejects():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((RULES / "schema.json").read_text())
    bad = [
        {"version": 1, "rules": [{"id": "x", "action": "deny", "match": {"oprations": ["A"]}}]},
        {"version": 1, "rules": [{"id": "x", "action": "deny", "approval": {"timeout": 5}}]},
        {"version": 1, "rules": [{"id": "x", "action": "approve", "approval": {"timeout": "5 minutes"}}]},
        {"version": 1, "rules": [{"id": "x", "action": "allow", "match": {"hosts": ["a"], "services": ["s3"]}}]},
        {"version": 1, "rules": [{"id": "x", "action": "allow", "match": {"unknown": True, "operations": ["A"]}}]},
        {"version": 1, "rules": [{"action": "allow"}]},
        {"version": 2, "rules": []},
    ]
    validator = jsonschema.Draft202012Validator(schema)
    for doc in bad:
        assert list(validator.iter_errors(doc)), doc


def test_default_rules_say_which_harm_they_guard(default):
    required = {"destroy-data", "weaken-logging", "credentials", "privilege", "share-outside",
                "run-commands", "leave-organization"}
    covered = set()
    for rule in default.rules:
        if rule.action in ("deny", "approve"):
            assert rule.guards, f"rule {rule.id} has no guards"
            assert set(rule.guards) <= set(HARMS)
            covered |= set(rule.guards)
        assert rule.description, f"rule {rule.id} has no description"
    assert required <= covered


ALLOW, DENY, APPROVE = "allow", "deny", "approve"

DEFAULT_CASES = [
    # reading and exploring
    (aws("s3", "GetObject", params={"Bucket": "b", "Key": "k"}), ALLOW, "allow-read"),
    (aws("s3", "ListBuckets"), ALLOW, "allow-read"),
    (aws("ec2", "DescribeInstances"), ALLOW, "allow-read"),
    (aws("dynamodb", "Query", params={"TableName": "t"}), ALLOW, "allow-read"),
    (aws("ssm", "GetParameter", params={"Name": "p"}), ALLOW, "allow-read"),
    (aws("ssm", "GetParameter", params={"Name": "p", "WithDecryption": False}), ALLOW, "allow-read"),
    # ordinary writes
    (aws("s3", "PutObject", params={"Bucket": "b", "Key": "k"}), ALLOW, "allow-ordinary-writes"),
    (aws("dynamodb", "PutItem", params={"TableName": "t", "Item": {}}), ALLOW, "allow-ordinary-writes"),
    (aws("sqs", "DeleteMessage", params={"QueueUrl": "q", "ReceiptHandle": "r"}), ALLOW, "allow-ordinary-writes"),
    (aws("s3", "DeleteObjectTagging", params={"Bucket": "b", "Key": "k"}), ALLOW, "allow-ordinary-writes"),
    (aws("ec2", "RunInstances", params={"MaxCount": 2, "MinCount": 1, "ImageId": "ami-1"}), ALLOW, "allow-ordinary-writes"),
    # destroy-data
    (aws("s3", "DeleteBucket", params={"Bucket": "b"}), DENY, "deny-delete-s3-data"),
    (aws("s3", "DeleteObject", params={"Bucket": "b", "Key": "k"}), DENY, "deny-delete-s3-data"),
    (aws("s3", "DeleteObjects", params={"Bucket": "b"}), DENY, "deny-delete-s3-data"),
    (aws("dynamodb", "DeleteTable", params={"TableName": "t"}), DENY, "deny-delete-databases"),
    (aws("rds", "DeleteDBInstance"), DENY, "deny-delete-databases"),
    (aws("rds", "DeleteDBCluster"), DENY, "deny-delete-databases"),
    (aws("ec2", "TerminateInstances"), DENY, "deny-destroy-instances-and-storage"),
    (aws("ec2", "DeleteVolume"), DENY, "deny-destroy-instances-and-storage"),
    (aws("ec2", "DeleteSnapshot"), DENY, "deny-destroy-instances-and-storage"),
    (aws("kms", "ScheduleKeyDeletion"), DENY, "deny-destroy-keys-and-secrets"),
    (aws("kms", "DisableKey"), DENY, "deny-destroy-keys-and-secrets"),
    (aws("secretsmanager", "DeleteSecret"), DENY, "deny-destroy-keys-and-secrets"),
    (aws("s3", "PutBucketLifecycleConfiguration"), APPROVE, "hold-s3-data-protection"),
    (aws("sqs", "DeleteQueue"), APPROVE, "hold-other-deletes"),
    (aws("lambda", "DeleteFunction"), APPROVE, "hold-other-deletes"),
    (aws("dynamodb", "DeleteItem"), APPROVE, "hold-other-deletes"),
    (aws("cloudformation", "DeleteStack"), APPROVE, "hold-other-deletes"),
    # weaken-logging
    (aws("cloudtrail", "StopLogging"), DENY, "deny-weaken-cloudtrail"),
    (aws("cloudtrail", "DeleteTrail"), DENY, "deny-weaken-cloudtrail"),
    (aws("cloudtrail", "PutEventSelectors"), DENY, "deny-weaken-cloudtrail"),
    (aws("guardduty", "DeleteDetector"), DENY, "deny-weaken-detection"),
    (aws("guardduty", "UpdateDetector"), DENY, "deny-weaken-detection"),
    (aws("securityhub", "DisableSecurityHub"), DENY, "deny-weaken-detection"),
    (aws("config", "StopConfigurationRecorder"), DENY, "deny-weaken-config"),
    (aws("config", "DeleteConfigurationRecorder"), DENY, "deny-weaken-config"),
    (aws("logs", "DeleteLogGroup"), DENY, "deny-weaken-logs-and-alarms"),
    (aws("logs", "PutRetentionPolicy"), DENY, "deny-weaken-logs-and-alarms"),
    (aws("cloudwatch", "DeleteAlarms"), DENY, "deny-weaken-logs-and-alarms"),
    (aws("cloudwatch", "DisableAlarmActions"), DENY, "deny-weaken-logs-and-alarms"),
    # credentials
    (aws("iam", "CreateAccessKey"), DENY, "deny-mint-credentials"),
    (aws("iam", "CreateLoginProfile"), DENY, "deny-mint-credentials"),
    (aws("iam", "UpdateLoginProfile"), DENY, "deny-mint-credentials"),
    (aws("sts", "AssumeRole"), DENY, "deny-mint-credentials"),
    (aws("sts", "GetSessionToken"), DENY, "deny-mint-credentials"),
    (aws("sts", "GetFederationToken"), DENY, "deny-mint-credentials"),
    (aws("sts", "GetCallerIdentity"), ALLOW, "allow-read"),
    (aws("secretsmanager", "GetSecretValue", params={"SecretId": "db"}), APPROVE, "hold-read-secrets"),
    (aws("ssm", "GetParameter", params={"Name": "p", "WithDecryption": True}), APPROVE, "hold-decrypt-parameters"),
    (aws("ssm", "GetParametersByPath", params={"Path": "/", "WithDecryption": True}), APPROVE, "hold-decrypt-parameters"),
    (aws("kms", "Decrypt"), APPROVE, "hold-decrypt"),
    # privilege
    (aws("iam", "AttachRolePolicy"), DENY, "deny-grant-privilege"),
    (aws("iam", "AttachUserPolicy"), DENY, "deny-grant-privilege"),
    (aws("iam", "PutRolePolicy"), DENY, "deny-grant-privilege"),
    (aws("iam", "CreatePolicyVersion"), DENY, "deny-grant-privilege"),
    (aws("iam", "SetDefaultPolicyVersion"), DENY, "deny-grant-privilege"),
    (aws("iam", "AddUserToGroup"), DENY, "deny-grant-privilege"),
    (aws("iam", "UpdateAssumeRolePolicy"), DENY, "deny-grant-privilege"),
    (aws("iam", "CreateRole"), APPROVE, "hold-new-identities"),
    (aws("ec2", "RunInstances", params={"MaxCount": 1, "IamInstanceProfile": {"Name": "admin"}}), APPROVE, "hold-pass-role"),
    (aws("lambda", "CreateFunction", params={"FunctionName": "f", "Role": "arn:aws:iam::1:role/r"}), APPROVE, "hold-pass-role"),
    (aws("lambda", "UpdateFunctionConfiguration", params={"FunctionName": "f", "Timeout": 30}), ALLOW, "allow-ordinary-writes"),
    # share-outside
    (aws("s3", "PutBucketAcl"), DENY, "deny-public-s3"),
    (aws("s3", "PutObjectAcl"), DENY, "deny-public-s3"),
    (aws("s3", "DeletePublicAccessBlock"), DENY, "deny-public-s3"),
    (aws("s3", "PutPublicAccessBlock"), DENY, "deny-public-s3"),
    (aws("s3", "PutBucketPolicy"), APPROVE, "hold-resource-policies"),
    (aws("ec2", "ModifySnapshotAttribute"), DENY, "deny-share-outside"),
    (aws("ec2", "ModifyImageAttribute"), DENY, "deny-share-outside"),
    (aws("ram", "CreateResourceShare"), DENY, "deny-share-outside"),
    (aws("kms", "CreateGrant"), APPROVE, "hold-resource-policies"),
    (aws("kms", "PutKeyPolicy"), DENY, "deny-share-outside"),
    (aws("lambda", "AddPermission"), DENY, "deny-share-outside"),
    (aws("sns", "AddPermission"), DENY, "deny-share-outside"),
    (aws("sqs", "AddPermission"), DENY, "deny-share-outside"),
    (aws("sqs", "SetQueueAttributes", params={"QueueUrl": "q", "Attributes": {"Policy": "{}"}}), DENY, "deny-topic-and-queue-policies"),
    (aws("sqs", "SetQueueAttributes", params={"QueueUrl": "q", "Attributes": {"VisibilityTimeout": "30"}}), ALLOW, "allow-ordinary-writes"),
    (aws("sns", "SetTopicAttributes", params={"TopicArn": "t", "AttributeName": "Policy"}), DENY, "deny-topic-and-queue-policies"),
    # run-commands
    (aws("ssm", "SendCommand"), APPROVE, "hold-run-commands"),
    (aws("ssm", "StartSession"), APPROVE, "hold-run-commands"),
    (aws("ec2-instance-connect", "SendSSHPublicKey"), APPROVE, "hold-run-commands"),
    (aws("ecs", "ExecuteCommand"), APPROVE, "hold-run-commands"),
    # leave-organization
    (aws("organizations", "LeaveOrganization"), DENY, "deny-leave-organization"),
    (aws("organizations", "DeleteOrganization"), DENY, "deny-leave-organization"),
    (aws("organizations", "RemoveAccountFromOrganization"), DENY, "deny-leave-organization"),
    # cost
    (aws("ec2", "RunInstances", params={"MaxCount": 50, "MinCount": 1}), APPROVE, "hold-large-fleets"),
    # unidentified calls
    (aws("s3", None), DENY, None),
]


@pytest.mark.parametrize("c,action,rule", DEFAULT_CASES,
                         ids=[f"{c.service}:{c.operation}:{a}" for c, a, _ in DEFAULT_CASES])
def test_default_rule_set_decides_as_intended(default, c, action, rule):
    d = decide(default, c, "bot", session="s1")
    assert (d.action, d.rule) == (action, rule), d.reason
    assert d.errors == []
    if action in (DENY, APPROVE) and c.operation is not None:
        # harmful calls are caught whatever the classifier thinks of read_only
        flipped = aws(c.service, c.operation, read_only=not c.read_only, params=c.params)
        assert decide(default, flipped, "bot").action == action
    if action == APPROVE:
        assert d.approval is not None and d.approval["mode"] in ("hold", "queue")


def test_default_egress_is_open(default):
    assert decide(default, None, None, host="pypi.org").action == "allow"


def test_default_denies_unverified_callers(default):
    assert decide(default, aws("s3", "GetObject"), None).action == "deny"


def test_read_only_example():
    rs = load_rules(RULES / "examples" / "read-only.yaml")
    assert decide(rs, aws("s3", "GetObject"), "bot").rule == "allow-read"
    assert decide(rs, aws("s3", "PutObject"), "bot").action == "deny"
    assert decide(rs, aws("s3", "DeleteBucket"), "bot").action == "deny"
    assert decide(rs, aws("secretsmanager", "GetSecretValue"), "bot").rule == "deny-secret-values"
    assert decide(rs, aws("ssm", "GetParameter", params={"WithDecryption": True}), "bot").rule == "deny-decrypted-parameters"
    assert decide(rs, aws("ssm", "GetParameter", params={"Name": "x"}), "bot").action == "allow"
    assert decide(rs, aws("sts", "GetSessionToken", read_only=True), "bot").rule == "deny-temporary-credentials"


def test_sandbox_example():
    rs = load_rules(RULES / "examples" / "sandbox.yaml")
    west = dict(region="us-west-2")
    assert decide(rs, aws("s3", "PutObject", **west), "dev").rule == "allow-sandbox-region"
    assert decide(rs, aws("s3", "PutObject"), "dev").action == "deny"  # other region
    assert decide(rs, aws("s3", "GetObject"), "dev").action == "allow"  # reads anywhere
    scratch = ["arn:aws:s3:::scratch/k"]
    assert decide(rs, aws("s3", "DeleteObject", resources=scratch, **west), "dev").action == "allow"
    state = ["arn:aws:s3:::sandbox-terraform-state/env/prod.tfstate"]
    assert decide(rs, aws("s3", "DeleteObject", resources=state, **west), "dev").rule == "deny-delete-team-state"
    foreign = ["arn:aws:dynamodb:us-west-2:444455556666:table/theirs"]
    assert decide(rs, aws("dynamodb", "PutItem", resources=foreign, **west), "dev").rule == "deny-other-accounts"
    own = ["arn:aws:dynamodb:us-west-2:111122223333:table/mine"]
    assert decide(rs, aws("dynamodb", "PutItem", resources=own, **west), "dev").action == "allow"
    assert decide(rs, aws("iam", "AttachRolePolicy", **west), "dev").rule == "deny-iam-privilege"
    d = decide(rs, aws("iam", "CreateRole", **west), "dev")
    assert (d.action, d.approval) == ("approve", {"timeout": 300, "approvers": [], "mode": "queue"})
    assert decide(rs, aws("cloudtrail", "StopLogging", **west), "dev").action == "deny"
    assert decide(rs, None, "dev", host="upload.pypi.org").rule == "deny-package-uploads"
    assert decide(rs, None, "dev", host="pypi.org").action == "allow"


def test_production_example():
    rs = load_rules(RULES / "examples" / "production.yaml")
    assert decide(rs, aws("s3", "GetObject"), "bot").action == "allow"
    d = decide(rs, aws("s3", "PutObject"), "bot")
    assert (d.action, d.rule) == ("approve", "approve-writes")
    assert d.approval == {"timeout": 1800, "approvers": ["oncall-primary", "oncall-secondary", "sre-lead"], "mode": "hold"}
    assert decide(rs, aws("s3", "DeleteObject"), "bot").rule == "deny-deletes"
    assert decide(rs, aws("kms", "ScheduleKeyDeletion"), "bot").rule == "deny-deletes"
    assert decide(rs, aws("s3", "DeleteObjectTagging"), "bot").rule == "approve-writes"
    d = decide(rs, aws("secretsmanager", "GetSecretValue"), "bot")
    assert (d.rule, d.approval["approvers"], d.approval["timeout"]) == ("approve-secret-reads", ["oncall-primary", "sre-lead"], 600)
    assert decide(rs, aws("ssm", "GetParameter", params={"Name": "n"}), "bot").action == "allow"
    assert decide(rs, aws("ssm", "GetParameter", params={"WithDecryption": True}), "bot").action == "approve"
    assert decide(rs, aws("sts", "AssumeRole"), "bot").rule == "deny-credentials"
    d = decide(rs, aws("s3", None), "bot")
    assert (d.rule, d.message) == ("deny-unidentified", "This call could not be identified, so it is not allowed in production.")
    assert decide(rs, None, "bot", host="files.pythonhosted.org").action == "allow"
    assert decide(rs, None, "bot", host="registry.npmjs.org").action == "allow"
    assert decide(rs, None, "bot", host="api.anthropic.com").action == "allow"
    assert decide(rs, None, "bot", host="exfil.example.com").action == "deny"


# ---------------------------------------------------------------- policy test cases

CASES = """
cases:
  - name: agents may read objects
    call: {service: s3, operation: GetObject, params: {Bucket: b, Key: k}, agent: bot}
    expect: allow
    rule: allow-read
  - name: reading a secret is held
    call: {service: secretsmanager, operation: GetSecretValue, params: {SecretId: db}, agent: bot}
    expect: approve
  - name: unidentified calls fall to the default
    call: {service: s3, operation: null, agent: bot}
    expect: deny
    rule: null
  - name: wrong on purpose
    call: {service: s3, operation: DeleteBucket, params: {Bucket: b}, agent: bot, region: eu-west-1}
    expect: allow
  - name: wrong rule on purpose
    call: {service: s3, operation: PutObject, agent: bot, read_only: false}
    expect: allow
    rule: allow-read
  - name: egress
    call: {host: pypi.org, agent: bot}
    expect: allow
"""


def test_cases_run_against_the_default(tmp_path, default):
    path = tmp_path / "cases.yaml"
    path.write_text(CASES)
    cases = load_cases(path)
    assert [c.line for c in cases] == [3, 7, 10, 14, 17, 21]
    assert cases[0].call.read_only is True  # guessed from the operation name
    assert cases[3].call.region == "eu-west-1"
    assert cases[5].call is None and cases[5].host == "pypi.org"
    results = run_cases(default, cases)
    assert [r.passed for r in results] == [True, True, True, False, False, True]
    assert "expected allow, got deny" in results[3].problem and "deny-delete-s3-data" in results[3].problem
    assert "expected rule 'allow-read' to decide, but rule 'allow-ordinary-writes' did" in results[4].problem
    json.dumps([r.to_record() for r in results])


def test_case_file_errors_name_file_line_and_fix(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(textwrap.dedent("""\
        cases:
          - name: typo
            call: {service: s3, operation: GetObjekt, agent: bot}
            expect: allow
          - name: no expectation
            call: {service: s33, operation: GetObject}
          - name: bad key
            call: {service: s3, operation: GetObject, agnet: bot}
            expect: alow
        """))
    with pytest.raises(PolicyError) as info:
        load_cases(path)
    text = str(info.value)
    assert f"{path}:3:" in text and "'GetObjekt' is not an operation of s3 (did you mean 'GetObject'?)" in text
    assert f"{path}:5:" in text and "missing 'expect'" in text
    assert f"{path}:6:" in text and "unknown service 's33'" in text
    assert f"{path}:8:" in text and "unknown key 'agnet'" in text and "did you mean 'agent'" in text
    assert f"{path}:9:" in text and "did you mean 'allow'" in text


@pytest.mark.parametrize("op,expected", [
    ("GetObject", True), ("ListBuckets", True), ("DescribeInstances", True), ("HeadObject", True),
    ("BatchGetItem", True), ("Query", True), ("Scan", True), ("SelectObjectContent", True),
    ("PutObject", False), ("DeleteBucket", False), ("Getaway", False), ("Listen", False), (None, False),
])
def test_guess_read_only(op, expected):
    assert guess_read_only(op) is expected

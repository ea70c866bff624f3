"""Policy end to end: rules allow, deny (with the SDK's ordinary error naming
the rule) or hold calls; people decide held calls over the control channel."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import botocore.exceptions
import pytest

from addons.config.approvers import add_approver
from tests.e2e import close_lab, open_lab
from tests.harness import in_thread

RULES = Path(__file__).parent / "rules" / "policy-e2e.yaml"
CHAPERONE = [sys.executable, "-m", "addons.cli"]


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    work = tmp_path_factory.mktemp("policy")
    rules = work / "rules.yaml"
    shutil.copy(RULES, rules)
    approvers = work / "approvers.yaml"
    tokens = {name: add_approver(approvers, name) for name in ("alice", "bob")}
    lab = open_lab(moto, work, chaperone_rules=str(rules), chaperone_approvers=str(approvers),
                   chaperone_webhook="http://127.0.0.1:9/nothing-listens-here")
    lab.tokens, lab.rules = tokens, rules
    yield lab
    close_lab(lab)


def chaperone(lab, *args, token="alice"):
    env = dict(os.environ, CHAPERONE_CONTROL=lab.gateway.control, CHAPERONE_APPROVER_TOKEN=lab.tokens.get(token, token))
    return subprocess.run(CHAPERONE + list(args), env=env, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[1])


def denied(call) -> dict:
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["ResponseMetadata"].get("RetryAttempts", 0) == 0
    return err["Error"]


def pending(lab) -> list[dict]:
    out = chaperone(lab, "approvals", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def wait_pending(lab, operation, count=1, timeout=20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in pending(lab) if a["operation"] == operation]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no pending approval for {operation}")


def test_allowed_calls_succeed(lab):
    lab.client("s3").create_bucket(Bucket="policy-bucket")
    lab.client("dynamodb").create_table(
        TableName="policy-table", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    lab.client("dynamodb").put_item(TableName="policy-table", Item={"id": {"S": "1"}})


@pytest.mark.parametrize("service,method,params,code,rule", [
    ("s3", "delete_bucket", {"Bucket": "policy-bucket"}, "AccessDenied", "no-bucket-deletes"),
    ("dynamodb", "delete_table", {"TableName": "policy-table"}, "AccessDeniedException", "no-table-deletes"),
    ("iam", "delete_user", {"UserName": "someone"}, "AccessDenied", "no-user-deletes"),
    ("ec2", "terminate_instances", {"InstanceIds": ["i-0123456789abcdef0"]}, "AccessDenied", "no-terminations"),
    ("cloudwatch", "delete_alarms", {"AlarmNames": ["a"]}, "AccessDenied", "no-alarm-deletes"),
    ("lambda", "delete_function", {"FunctionName": "f"}, "AccessDeniedException", "no-function-deletes"),
    ("dynamodb", "put_item", {"TableName": "prod-orders", "Item": {"id": {"S": "1"}}}, "AccessDeniedException", "prod-tables-only-by-condition"),
])
def test_denials_name_the_rule(lab, service, method, params, code, rule):
    error = denied(lambda: getattr(lab.client(service), method)(**params))
    assert error["Code"] == code
    assert f"'{rule}'" in error["Message"]


def test_aws_cli_sees_the_denial(lab):
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    out = subprocess.run([aws, "s3", "rb", "s3://policy-bucket"], env=lab.gateway.agent_env(lab.key, lab.secret),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "AccessDenied" in out.stderr and "no-bucket-deletes" in out.stderr


def test_held_call_succeeds_after_approve(lab):
    ssm = lab.client("ssm")
    ssm.put_parameter(Name="/held/a", Value="v", Type="String")
    t, result = in_thread(lambda: ssm.delete_parameter(Name="/held/a"))
    approval = wait_pending(lab, "DeleteParameter")[0]
    assert approval["agent"] == "test-agent" and approval["params"] == {"Name": "/held/a"}
    assert approval["rule"] == "hold-parameter-deletes"
    out = chaperone(lab, "approve", approval["id"], "--reason", "fine")
    assert out.returncode == 0, out.stderr
    assert "approved by alice" in out.stdout
    t.join(30)
    assert "error" not in result, result
    with pytest.raises(botocore.exceptions.ClientError):
        ssm.get_parameter(Name="/held/a")  # really deleted upstream


def test_held_call_fails_after_deny(lab):
    ssm = lab.client("ssm")
    ssm.put_parameter(Name="/held/b", Value="v", Type="String")
    t, result = in_thread(lambda: ssm.delete_parameter(Name="/held/b"))
    approval = wait_pending(lab, "DeleteParameter")[0]
    out = chaperone(lab, "deny", approval["id"], "--reason", "not today")
    assert out.returncode == 0, out.stderr
    t.join(30)
    error = result["error"].response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "alice denied it: not today" in error["Message"]
    assert ssm.get_parameter(Name="/held/b")["Parameter"]["Value"] == "v"


def test_held_call_times_out(lab):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="held-q")["QueueUrl"]
    started = time.monotonic()
    error = denied(lambda: sqs.delete_queue(QueueUrl=url))
    assert time.monotonic() - started >= 1.5
    assert "nobody approved it within 2 s" in error["Message"]
    assert sqs.get_queue_url(QueueName="held-q")["QueueUrl"]


def test_a_retry_joins_the_pending_approval(lab):
    ssm = lab.client("ssm")
    ssm.put_parameter(Name="/held/c", Value="v", Type="String")
    first, r1 = in_thread(lambda: ssm.delete_parameter(Name="/held/c"))
    wait_pending(lab, "DeleteParameter")
    second, r2 = in_thread(lambda: lab.client("ssm").delete_parameter(Name="/held/c"))  # the SDK's retry
    deadline = time.monotonic() + 20
    while wait_pending(lab, "DeleteParameter")[0]["flows"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    approvals = wait_pending(lab, "DeleteParameter")
    assert len(approvals) == 1 and approvals[0]["flows"] == 2
    assert chaperone(lab, "approve", approvals[0]["id"]).returncode == 0
    first.join(30)
    second.join(30)
    # Both went upstream once approved: one deleted the parameter, and moto
    # answers the other (whichever came second) with ParameterNotFound.
    codes = sorted(r["error"].response["Error"]["Code"] if "error" in r else "ok" for r in (r1, r2))
    assert codes == ["ParameterNotFound", "ok"]


def test_only_named_approvers_decide(lab):
    sm = lab.client("secretsmanager")
    sm.create_secret(Name="held-secret", SecretString="x")
    t, result = in_thread(lambda: sm.delete_secret(SecretId="held-secret"))
    approval = wait_pending(lab, "DeleteSecret")[0]
    out = chaperone(lab, "approve", approval["id"], token="alice")
    assert out.returncode != 0 and "may not decide" in out.stderr
    out = chaperone(lab, "approve", approval["id"], token="not-a-token" * 4)
    assert out.returncode != 0 and "not an authorised approver" in out.stderr
    assert chaperone(lab, "approve", approval["id"], token="bob").returncode == 0
    t.join(30)
    assert "error" not in result


def test_queue_mode(lab):
    sns = lab.client("sns")
    arn = sns.create_topic(Name="queued-topic")["TopicArn"]
    error = denied(lambda: sns.delete_topic(TopicArn=arn))
    assert "needs approval apr-" in error["Message"]
    approval_id = error["Message"].split("needs approval ")[1].split(" ")[0]
    assert chaperone(lab, "approve", approval_id).returncode == 0
    sns.delete_topic(TopicArn=arn)  # the identical retry now goes through
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    other = sns.create_topic(Name="other-topic")["TopicArn"]
    denied(lambda: sns.delete_topic(TopicArn=other))  # a different call needs its own approval


def test_broken_rules_on_disk_leave_the_old_rules_in_force(lab):
    good = lab.rules.read_text()
    lab.rules.write_text(good.replace("action: deny", "action: dney", 1))
    try:
        time.sleep(1.5)
        error = denied(lambda: lab.client("s3").delete_bucket(Bucket="policy-bucket"))
        assert "'no-bucket-deletes'" in error["Message"]
        lab.client("s3").list_buckets()
        assert "did not reload" in lab.gateway.log.read_text()
    finally:
        lab.rules.write_text(good)


def test_cbor_denial_parses_in_the_sdk(lab):
    """CloudWatch spoken in Smithy RPC v2 CBOR (what newer SDKs send): the
    denial comes back in CBOR and botocore's CBOR parser raises the usual error."""
    from botocore import serialize

    cw = lab.client("cloudwatch")
    # As an SDK that prefers CBOR: serialise requests and parse responses in it.
    cw.meta.service_model.__dict__["resolved_protocol"] = "smithy-rpc-v2-cbor"
    cw._serializer = serialize.create_serializer("smithy-rpc-v2-cbor", include_validation=True)
    error = denied(lambda: cw.delete_alarms(AlarmNames=["a"]))
    assert error["Code"] == "AccessDenied" and "'no-alarm-deletes'" in error["Message"]

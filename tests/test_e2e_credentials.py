"""Credential isolation end to end: agents hold fake keys, the gateway verifies
them and signs with keys only it holds; moto checks every signature."""

import json
import os
import ssl
import subprocess
import sys
import urllib.request
from unittest import mock

import botocore.auth
import botocore.exceptions
import pytest

from addons.config.agents import add_agent, new_key_id
from tests.e2e import close_lab, open_lab
from tests.harness import agent_client


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    lab = open_lab(moto, tmp_path_factory.mktemp("creds"))
    yield lab
    close_lab(lab)


@pytest.fixture(scope="module")
def restricted(lab):
    """A second agent allowed only S3 in us-east-1 (the gateway reloads the agents file)."""
    key, secret = add_agent(lab.workdir / "agents.yaml", "s3-only", regions=["us-east-1"], services=["s3"])
    import time

    time.sleep(1.2)  # the agents file is re-read at most once a second
    return key, secret


def moto_requests(lab) -> int:
    return lab.moto.log.read_text().count('HTTP/1.1"')


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_s3_put_get_list_and_multipart(lab, tmp_path):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="creds-bucket")
    s3.put_object(Bucket="creds-bucket", Key="a/b c+d.txt", Body=b"payload")
    assert s3.get_object(Bucket="creds-bucket", Key="a/b c+d.txt")["Body"].read() == b"payload"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="creds-bucket")["Contents"]] == ["a/b c+d.txt"]
    big = tmp_path / "big.bin"
    data = os.urandom(21 * 1024 * 1024)
    big.write_bytes(data)
    s3.upload_file(str(big), "creds-bucket", "big.bin")  # multipart: 3 parts of 8 MiB
    stored = lab.moto.client("s3").get_object(Bucket="creds-bucket", Key="big.bin")["Body"].read()
    assert stored == data


def test_streamed_upload_with_a_literal_payload_hash(lab):
    """A large upload whose hash is in x-amz-content-sha256 streams through, checked as it goes."""
    s3 = lab.client("s3", s3={"payload_signing_enabled": True}, request_checksum_calculation="when_required")
    data = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket="creds-bucket", Key="literal.bin", Body=data)
    assert lab.moto.client("s3").get_object(Bucket="creds-bucket", Key="literal.bin")["Body"].read() == data


def test_presigned_get_through_the_gateway(lab):
    """The agent presigns with its fake key (boto3's default in us-east-1 is a
    SigV2 URL); the gateway checks it and presigns it again with its own."""
    import datetime
    import re

    from addons.aws import sigv4

    s3 = lab.client("s3")
    s3.create_bucket(Bucket="presign-bucket")
    s3.put_object(Bucket="presign-bucket", Key="k", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presign-bucket", "Key": "k"}, ExpiresIn=300)
    assert lab.key in url  # signed with the agent's fake key
    ctx = ssl.create_default_context(cafile=str(lab.gateway.ca))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": lab.gateway.proxy}), urllib.request.HTTPSHandler(context=ctx)
    )
    # moto 5.2's signature check cannot read presigned URLs (it wants an
    # Authorization header), so it is off for this fetch; the URL the gateway
    # sent on is checked against the gateway's own secret below instead.
    lab.moto.set_auth(False)
    try:
        assert opener.open(url, timeout=30).read() == b"presigned body"
    finally:
        lab.moto.set_auth(True)
    path = re.findall(r'"GET (/k\?X-Amz-\S+) HTTP', lab.moto.log.read_text())[-1]
    sent = f"https://presign-bucket.s3.amazonaws.com{path}"
    assert lab.key not in sent and lab.moto.access_key in sent
    auth = sigv4.parse_auth("GET", sent, [("host", "presign-bucket.s3.amazonaws.com")])
    assert auth.style == "query" and 290 <= auth.expires <= 300
    sigv4.verify(auth, "GET", sent, [("host", "presign-bucket.s3.amazonaws.com")], None,
                 lab.moto.secret_key, datetime.datetime.now(datetime.timezone.utc), s3=True)
    assert "AWSAccessKeyId" in url  # boto3's default in us-east-1 is a SigV2 URL


def test_other_services(lab):
    ddb = lab.client("dynamodb")
    ddb.create_table(
        TableName="creds-table", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    ddb.put_item(TableName="creds-table", Item={"id": {"S": "1"}})
    assert ddb.get_item(TableName="creds-table", Key={"id": {"S": "1"}})["Item"] == {"id": {"S": "1"}}
    ident = lab.client("sts").get_caller_identity()
    assert ident["Arn"].endswith(":user/chaperone-gateway")  # the gateway's identity, not the agent's
    lab.client("iam").create_user(UserName="creds-user")
    assert any(u["UserName"] == "creds-user" for u in lab.client("iam").list_users()["Users"])
    sqs = lab.client("sqs")
    q = sqs.create_queue(QueueName="creds-q")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="m")
    assert sqs.receive_message(QueueUrl=q)["Messages"][0]["Body"] == "m"
    sns = lab.client("sns")
    topic = sns.create_topic(Name="creds-topic")["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")
    sm = lab.client("secretsmanager")
    sm.create_secret(Name="creds-secret", SecretString="v")
    assert sm.describe_secret(SecretId="creds-secret")["Name"] == "creds-secret"
    cw = lab.client("cloudwatch")
    cw.put_metric_data(Namespace="Creds", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert cw.list_metrics(Namespace="Creds")["Metrics"]


def test_aws_cli_as_agent(lab):
    env = lab.gateway.agent_env(lab.key, lab.secret)
    aws = [os.path.join(os.path.dirname(sys.executable), "aws")]

    def run(*args):
        out = subprocess.run(aws + list(args), env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "chaperone-gateway" in json.loads(run("sts", "get-caller-identity"))["Arn"]
    run("s3", "mb", "s3://cli-bucket")
    run("s3api", "put-object", "--bucket", "cli-bucket", "--key", "x", "--body", "/etc/hostname")
    assert "x" in run("s3", "ls", "s3://cli-bucket/")
    assert "TableNames" in json.loads(run("dynamodb", "list-tables"))


def test_fake_credentials_are_useless_without_the_gateway(lab):
    direct = lab.moto.client("sts", key=lab.key, secret=lab.secret)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        direct.get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def _refused(lab, call, code):
    before = moto_requests(lab)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert error_code(e) == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert moto_requests(lab) == before, "the refused request reached moto"
    return e.value


def test_wrong_secret(lab):
    ddb = agent_client(lab.gateway, "dynamodb", lab.key, "x" * 40)
    _refused(lab, ddb.list_tables, "SignatureDoesNotMatch")
    s3 = agent_client(lab.gateway, "s3", lab.key, "x" * 40)
    _refused(lab, s3.list_buckets, "SignatureDoesNotMatch")


def test_unknown_key(lab):
    sqs = agent_client(lab.gateway, "sqs", new_key_id(), lab.secret)
    _refused(lab, sqs.list_queues, "InvalidClientTokenId")
    s3 = agent_client(lab.gateway, "s3", new_key_id(), lab.secret)
    _refused(lab, s3.list_buckets, "InvalidAccessKeyId")


def test_stale_date(lab):
    import datetime

    stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    iam = lab.client("iam")
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: stale):
        _refused(lab, iam.list_users, "RequestTimeTooSkewed")


def test_body_altered_after_signing(lab):
    ddb = lab.client("dynamodb")

    def tamper(request, **_):
        request.body = request.body.replace(b"creds-table", b"other-table")

    ddb.meta.events.register("before-send.dynamodb.DescribeTable", tamper)
    _refused(lab, lambda: ddb.describe_table(TableName="creds-table"), "SignatureDoesNotMatch")
    # S3 with a literal payload hash: the gateway checks the body against it.
    s3 = lab.client("s3", s3={"payload_signing_enabled": True}, request_checksum_calculation="when_required")

    def tamper_s3(request, **_):
        request.body = b"evil"

    s3.meta.events.register("before-send.s3.PutObject", tamper_s3)
    _refused(lab, lambda: s3.put_object(Bucket="creds-bucket", Key="t", Body=b"good"), "XAmzContentSHA256Mismatch")


def test_region_and_service_restrictions(lab, restricted):
    key, secret = restricted
    ddb = agent_client(lab.gateway, "dynamodb", key, secret)
    _refused(lab, ddb.list_tables, "AccessDeniedException")
    s3_eu = agent_client(lab.gateway, "s3", key, secret, region="eu-west-1")
    _refused(lab, lambda: s3_eu.list_objects_v2(Bucket="creds-bucket"), "AccessDenied")
    assert agent_client(lab.gateway, "s3", key, secret).list_buckets()["Buckets"]


def test_gzip_compressed_request_body(lab):
    """botocore gzips large CloudWatch PutMetricData bodies: the gateway verifies
    the signature over the compressed bytes and still reads the parameters."""
    cw = lab.client("cloudwatch")
    data = [{"MetricName": f"m{i}", "Value": float(i), "Dimensions": [{"Name": "d", "Value": "x" * 50}]} for i in range(150)]
    sent = {}

    def note_encoding(request, **_):
        sent["encoding"] = request.headers.get("Content-Encoding")

    cw.meta.events.register("before-send.cloudwatch.PutMetricData", note_encoding)
    # moto 5.2 refuses every gzipped body's signature, even botocore's own sent
    # straight to it, so its check is off for this call; the gateway's check is on.
    lab.moto.set_auth(False)
    try:
        cw.put_metric_data(Namespace="Gzip", MetricData=data)
    finally:
        lab.moto.set_auth(True)
    assert sent["encoding"] in ("gzip", b"gzip")
    assert {m["MetricName"] for m in cw.list_metrics(Namespace="Gzip")["Metrics"]} >= {"m0", "m149"}
    rec = [f.metadata["chaperone"] for f in lab.gateway.flows()  # stops the gateway: the tests below only read
           if (f.metadata.get("chaperone", {}).get("call") or {}).get("params", {}).get("Namespace") == "Gzip"][0]
    assert rec["agent"] == "test-agent" and len(rec["call"]["params"]["MetricData"]) == 150


def test_no_gateway_secret_in_logs_or_dumps(lab):
    """Invariant 2, checked on what this module's gateway wrote."""
    lab.gateway.flows()  # stops the gateway so its dump and log are complete
    for path in (lab.gateway.log, lab.gateway.dump):
        data = path.read_bytes()
        assert lab.moto.secret_key.encode() not in data, path
        assert lab.secret.encode() not in data, path  # nor the agent's own secret

"""End to end: boto3 agents through a real mitmdump running the suite, against a
real moto server; each flow's record names the right call."""

import pytest

from tests.e2e import close_lab, open_lab


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    lab = open_lab(moto, tmp_path_factory.mktemp("classify"))
    yield lab
    close_lab(lab)


def test_calls_are_classified(lab):
    c = lab.client
    s3 = c("s3")
    s3.create_bucket(Bucket="classify-bucket")
    s3.put_object(Bucket="classify-bucket", Key="dir/file name.txt", Body=b"hello")
    s3.get_object(Bucket="classify-bucket", Key="dir/file name.txt")
    s3.list_objects_v2(Bucket="classify-bucket", Prefix="dir/")
    ddb = c("dynamodb")
    ddb.create_table(
        TableName="classify-table", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    ddb.put_item(TableName="classify-table", Item={"id": {"S": "a"}, "n": {"N": "1"}})
    c("sts").get_caller_identity()
    c("iam").create_user(UserName="classify-user")
    c("secretsmanager").create_secret(Name="classify-secret", SecretString="s3cr3t")
    c("ssm").put_parameter(Name="/classify/param", Value="v", Type="String")
    q = c("sqs").create_queue(QueueName="classify-queue")["QueueUrl"]
    c("sqs").send_message(QueueUrl=q, MessageBody="hi")
    c("ec2", region="eu-west-1").describe_vpcs()
    c("cloudwatch").put_metric_data(Namespace="Classify", MetricData=[{"MetricName": "m", "Value": 2.5}])
    with pytest.raises(Exception):
        c("lambda").get_function(FunctionName="classify-fn")  # moto refuses Lambda signatures; classified all the same

    calls = [r["call"] for r in lab.records() if r.get("call")]
    seen = {(x["service"], x["operation"]): x for x in calls}

    def params(service, op):
        assert (service, op) in seen, f"{service}:{op} not seen; saw {sorted(seen)}"
        return seen[(service, op)]["params"]

    assert params("s3", "CreateBucket")["Bucket"] == "classify-bucket"
    put = seen[("s3", "PutObject")]
    assert put["params"]["Key"] == "dir/file name.txt"
    assert "arn:aws:s3:::classify-bucket/dir/file name.txt" in put["resources"]
    assert seen[("s3", "GetObject")]["read_only"] is True
    assert params("s3", "ListObjectsV2")["Prefix"] == "dir/"
    assert params("dynamodb", "PutItem")["Item"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert params("dynamodb", "CreateTable")["TableName"] == "classify-table"
    assert ("sts", "GetCallerIdentity") in seen
    assert params("iam", "CreateUser") == {"UserName": "classify-user"}
    assert params("secretsmanager", "CreateSecret")["Name"] == "classify-secret"
    assert params("ssm", "PutParameter")["Name"] == "/classify/param"
    assert params("sqs", "SendMessage")["MessageBody"] == "hi"
    assert seen[("ec2", "DescribeVpcs")]["region"] == "eu-west-1"
    assert seen[("ec2", "DescribeVpcs")]["protocol"] == "ec2"
    cw = seen[("cloudwatch", "PutMetricData")]
    assert cw["params"]["MetricData"][0]["Value"] == 2.5
    assert params("lambda", "GetFunction")["FunctionName"] == "classify-fn"
    for x in calls:
        assert x["auth"] == "header" and x["access_key"] == lab.key
        assert x["unknown_reason"] is None, x

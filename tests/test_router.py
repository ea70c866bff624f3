"""Routing picks the most specific operation, as AWS's front end would."""

import pytest

from addons.aws import models, parse_params, route

S3 = "https://bucket.s3.us-east-1.amazonaws.com"


def s3(method, path, headers=None, body=b""):
    op = route(models.service_model("s3"), method, S3 + path, headers or {}, body)
    return op.name if op else None


@pytest.mark.parametrize("method,path,headers,want", [
    ("GET", "/", {}, "ListObjects"),
    ("GET", "/?list-type=2&prefix=a", {}, "ListObjectsV2"),
    ("GET", "/?acl", {}, "GetBucketAcl"),
    ("GET", "/?uploads", {}, "ListMultipartUploads"),
    ("GET", "/?analytics", {}, "ListBucketAnalyticsConfigurations"),
    ("GET", "/?analytics&id=x", {}, "GetBucketAnalyticsConfiguration"),
    ("GET", "/?lifecycle", {}, "GetBucketLifecycleConfiguration"),  # not the deprecated twin
    ("GET", "/key/with/slashes", {}, "GetObject"),
    ("GET", "/key?x-id=GetObject", {}, "GetObject"),
    ("GET", "/key?acl", {}, "GetObjectAcl"),
    ("GET", "/key?uploadId=abc", {}, "ListParts"),
    ("HEAD", "/key", {}, "HeadObject"),
    ("HEAD", "/", {}, "HeadBucket"),
    ("PUT", "/", {}, "CreateBucket"),
    ("PUT", "/key", {}, "PutObject"),
    ("PUT", "/key", {"x-amz-copy-source": "other/k"}, "CopyObject"),
    ("PUT", "/key?partNumber=1&uploadId=u", {}, "UploadPart"),
    ("PUT", "/key?partNumber=1&uploadId=u", {"x-amz-copy-source": "b/k"}, "UploadPartCopy"),
    ("POST", "/key?uploads", {}, "CreateMultipartUpload"),
    ("POST", "/key?uploadId=u", {}, "CompleteMultipartUpload"),
    ("DELETE", "/key?uploadId=u", {}, "AbortMultipartUpload"),
    ("DELETE", "/key", {}, "DeleteObject"),
    ("DELETE", "/", {}, "DeleteBucket"),
    ("POST", "/?delete", {}, "DeleteObjects"),
    ("PATCH", "/key", {}, None),
])
def test_s3_routes(method, path, headers, want):
    assert s3(method, path, headers) == want


def test_path_style_and_virtual_host_agree():
    model = models.service_model("s3")
    for url in ("https://s3.us-east-1.amazonaws.com/bucket/a%20b/c", "https://bucket.s3.us-east-1.amazonaws.com/a%20b/c"):
        op = route(model, "GET", url, {}, b"")
        assert op.name == "GetObject"
        assert parse_params(op, "GET", url, {}, b"") == {"Bucket": "bucket", "Key": "a b/c"}


def test_json_routes_by_target_prefix():
    ddb = models.service_model("dynamodb")
    url = "https://dynamodb.us-east-1.amazonaws.com/"
    assert route(ddb, "POST", url, {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, b"{}").name == "GetItem"
    assert route(ddb, "POST", url, {"X-Amz-Target": "DynamoDBStreams_20120810.GetRecords"}, b"{}") is None
    assert route(ddb, "POST", url, {"X-Amz-Target": "DynamoDB_20120810.NoSuchOp"}, b"{}") is None


def test_query_routes_by_action_in_body_or_query():
    iam = models.service_model("iam")
    url = "https://iam.amazonaws.com/"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert route(iam, "POST", url, form, b"Action=ListUsers&Version=2010-05-08").name == "ListUsers"
    assert route(iam, "GET", url + "?Action=GetUser&Version=2010-05-08", {}, b"").name == "GetUser"


def test_multi_protocol_service_recognised_from_request():
    cw = models.service_model("cloudwatch")
    base = "https://monitoring.us-east-1.amazonaws.com"
    cbor_op = route(cw, "POST", base + "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                    {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}, b"\xa0")
    json_op = route(cw, "POST", base + "/", {"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
                                             "Content-Type": "application/x-amz-json-1.0"}, b"{}")
    query_op = route(cw, "POST", base + "/", {"Content-Type": "application/x-www-form-urlencoded"},
                     b"Action=ListMetrics&Version=2010-08-01")
    assert cbor_op.name == json_op.name == query_op.name == "ListMetrics"


def test_rest_json_labels_and_greedy_labels():
    lam = models.service_model("lambda")
    url = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/my-fn/invocations"
    op = route(lam, "POST", url, {}, b"{}")
    assert op.name == "Invoke"
    assert parse_params(op, "POST", url, {"X-Amz-Invocation-Type": "Event"}, b"{}")["FunctionName"] == "my-fn"

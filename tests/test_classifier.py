"""The classifier on requests that matter for security: what it names, what it
refuses to name, and that malformed input never raises."""

import pytest

from addons.aws import classify

KEY = "CHAPAAAAAAAAAAAAAAAA"


def auth(region, service):
    return (f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/{region}/{service}/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")


def headers(region="us-east-1", service="s3", **extra):
    return {"Authorization": auth(region, service), "X-Amz-Date": "20260101T000000Z", **extra}


def test_copy_source_is_a_resource():
    call = classify("PUT", "https://dst.s3.us-east-1.amazonaws.com/copy", headers(**{
        "x-amz-copy-source": "secret-bucket/a%20b.txt?versionId=3", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}), b"")
    assert call.operation == "CopyObject"
    assert call.resources == ["arn:aws:s3:::dst/copy", "arn:aws:s3:::secret-bucket/a b.txt"]


def test_access_point_host_gives_the_access_point_arn():
    call = classify("GET", "https://myap-123456789012.s3-accesspoint.us-west-2.amazonaws.com/k/x",
                    headers("us-west-2"), b"")
    assert call.operation == "GetObject"
    assert call.params == {"Bucket": "arn:aws:s3:us-west-2:123456789012:accesspoint/myap", "Key": "k/x"}


def test_signature_for_another_service_than_the_host_is_not_named():
    call = classify("POST", "https://bucket.s3.us-east-1.amazonaws.com/", headers(
        service="dynamodb", **{"X-Amz-Target": "DynamoDB_20120810.DeleteTable"}), b'{"TableName": "t"}')
    assert call.operation is None
    assert "signature is for service 'dynamodb'" in call.unknown_reason


def test_region_of_the_signature_must_match_the_host():
    call = classify("POST", "https://dynamodb.us-east-1.amazonaws.com/", headers(
        "eu-west-1", "dynamodb", **{"X-Amz-Target": "DynamoDB_20120810.ListTables"}), b"{}")
    assert call.operation == "ListTables" and "region 'eu-west-1'" in call.unknown_reason


def test_unsigned_and_non_aws():
    assert classify("GET", "https://pypi.org/simple/boto3/", {}, b"") is None
    call = classify("GET", "https://s3.amazonaws.com/", {}, b"")
    assert (call.auth, call.access_key, call.operation) == ("none", None, "ListBuckets")


def test_sigv4a_is_refused_with_a_reason():
    h = headers()
    h["Authorization"] = h["Authorization"].replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
    call = classify("GET", "https://s3.amazonaws.com/", h, b"")
    assert call.auth == "invalid" and ("SigV4a" in call.unknown_reason or "ECDSA" in call.unknown_reason)


@pytest.mark.parametrize("url,hdrs,body", [
    ("https://dynamodb.us-east-1.amazonaws.com/", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, b"{not json"),
    ("https://dynamodb.us-east-1.amazonaws.com/", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, b'{"Key": 5}'),
    ("https://b.s3.us-east-1.amazonaws.com/?delete", {}, b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Delete>&a;</Delete>'),
    ("https://b.s3.us-east-1.amazonaws.com/?delete", {}, b"<Delete><Object>"),
    ("https://monitoring.us-east-1.amazonaws.com/service/GraniteServiceVersion20100801/operation/ListMetrics",
     {"smithy-protocol": "rpc-v2-cbor"}, b"\x81" * 10_000),
    ("https://monitoring.us-east-1.amazonaws.com/service/GraniteServiceVersion20100801/operation/ListMetrics",
     {"smithy-protocol": "rpc-v2-cbor"}, b"\xbf\x61"),
    ("https://sts.amazonaws.com/", {"Content-Type": "application/x-www-form-urlencoded"}, b"Action=AssumeRole&DurationSeconds=abc"),
])
def test_malformed_requests_are_unidentified_not_raised(url, hdrs, body):
    service = "monitoring" if "monitoring" in url else "sts" if "sts" in url else "dynamodb" if "dynamodb" in url else "s3"
    call = classify("POST" if body else "GET", url, headers(service=service, **hdrs), body)
    assert call is not None
    if call.operation is not None:
        assert call.unknown_reason, call  # named, but its parameters could not be read: flagged

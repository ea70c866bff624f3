"""Gateway errors parse, with botocore's own response parsers, into the code and
message we sent, for every protocol; and SDKs do not treat them as retryable."""

import pytest
from botocore.parsers import create_parser

from addons.aws import models
from addons.aws.errors import error_response

CASES = [
    ("dynamodb", "GetItem", "json"),
    ("sqs", "SendMessage", "json"),  # awsQueryCompatible
    ("iam", "ListUsers", "query"),
    ("sts", "GetCallerIdentity", "query"),
    ("ec2", "DescribeInstances", "ec2"),
    ("s3", "GetObject", "rest-xml"),
    ("lambda", "ListFunctions", "rest-json"),
    ("cloudwatch", "PutMetricData", "smithy-rpc-v2-cbor"),
]


@pytest.mark.parametrize("service,operation,protocol", CASES)
def test_botocore_reads_our_error(service, operation, protocol):
    model = models.service_model(service)
    meta = model.metadata
    err = error_response(
        protocol, "AccessDenied", "denied by rule 'no-deletes': not today <&>",
        json_version=meta.get("jsonVersion", "1.1"), query_compatible="awsQueryCompatible" in meta,
    )
    parser = create_parser(protocol)
    parsed = parser.parse(
        {"status_code": err.status, "headers": err.headers, "body": err.body},
        model.operation_model(operation).output_shape,
    )
    assert parsed["Error"]["Code"] == "AccessDenied"
    assert parsed["Error"]["Message"] == "denied by rule 'no-deletes': not today <&>"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_head_answers_have_no_body():
    err = error_response("rest-xml", "AccessDenied", "no", head=True)
    assert err.body == b"" and err.status == 403


def test_denials_are_not_retryable():
    from botocore.retries.standard import RetryContext, StandardRetryConditions

    model = models.service_model("dynamodb")
    err = error_response("json", "AccessDeniedException", "no", json_version="1.0")
    parsed = create_parser("json").parse(
        {"status_code": err.status, "headers": err.headers, "body": err.body},
        model.operation_model("GetItem").output_shape,
    )
    ctx = RetryContext(attempt_number=1, operation_model=model.operation_model("GetItem"), parsed_response=parsed, http_response=None, caught_exception=None)
    assert not StandardRetryConditions().is_retryable(ctx)

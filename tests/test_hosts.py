"""Host names of every form resolve to the right partition, region and service."""

import pytest

from addons.aws.hosts import parse_host

CASES = [
    # host, partition, region, first service, labels, extra
    ("s3.amazonaws.com", "aws", None, "s3", (), {}),
    ("mybucket.s3.us-west-2.amazonaws.com", "aws", "us-west-2", "s3", ("mybucket",), {}),
    ("my.dotted.bucket.s3.us-west-2.amazonaws.com", "aws", "us-west-2", "s3", ("my", "dotted", "bucket"), {}),
    ("b.s3-eu-west-1.amazonaws.com", "aws", "eu-west-1", "s3", ("b",), {"s3_form": "legacy-region"}),
    ("s3-external-1.amazonaws.com", "aws", "us-east-1", "s3", (), {"s3_form": "external"}),
    ("b.s3-fips.dualstack.us-east-1.amazonaws.com", "aws", "us-east-1", "s3", ("b",), {"fips": True, "dualstack": True}),
    ("b.s3-accelerate.amazonaws.com", "aws", None, "s3", ("b",), {"s3_form": "accelerate"}),
    ("ap-123456789012.s3-accesspoint.us-west-2.amazonaws.com", "aws", "us-west-2", "s3", ("ap-123456789012",), {"s3_form": "accesspoint"}),
    ("123456789012.s3-control.us-east-1.amazonaws.com", "aws", "us-east-1", "s3control", ("123456789012",), {}),
    ("dynamodb.us-east-1.amazonaws.com", "aws", "us-east-1", "dynamodb", (), {}),
    ("streams.dynamodb.eu-west-1.amazonaws.com", "aws", "eu-west-1", "dynamodbstreams", (), {}),
    ("bedrock-runtime.us-east-1.amazonaws.com", "aws", "us-east-1", "bedrock-runtime", (), {}),
    ("bedrock.us-east-1.amazonaws.com", "aws", "us-east-1", "bedrock", (), {}),
    ("dynamodb-fips.us-gov-west-1.amazonaws.com", "aws-us-gov", "us-gov-west-1", "dynamodb", (), {"fips": True}),
    ("iam.us-gov.amazonaws.com", "aws-us-gov", None, "iam", (), {}),
    ("iam.cn-north-1.amazonaws.com.cn", "aws-cn", "cn-north-1", "iam", (), {}),
    ("sts.amazonaws.com", "aws", None, "sts", (), {}),
    ("sts.eu-central-1.amazonaws.com", "aws", "eu-central-1", "sts", (), {}),
    ("lambda.us-east-1.api.aws", "aws", "us-east-1", "lambda", (), {"dualstack": True}),
    ("runtime.sagemaker.us-east-1.amazonaws.com", "aws", "us-east-1", "sagemaker-runtime", (), {}),
    ("monitoring.us-east-1.amazonaws.com", "aws", "us-east-1", "cloudwatch", (), {}),
    ("rds.us-east-1.amazonaws.com", "aws", "us-east-1", "rds", (), {}),
    ("ec2.eusc-de-east-1.amazonaws.eu", "aws-eusc", "eusc-de-east-1", "ec2", (), {}),
    ("ec2.us-iso-east-1.c2s.ic.gov", "aws-iso", "us-iso-east-1", "ec2", (), {}),
    ("SQS.US-EAST-1.AMAZONAWS.COM:443", "aws", "us-east-1", "sqs", (), {}),
]


@pytest.mark.parametrize("host,partition,region,service,labels,extra", CASES)
def test_host_forms(host, partition, region, service, labels, extra):
    info = parse_host(host)
    assert info is not None
    assert (info.partition, info.region, info.labels) == (partition, region, labels)
    assert info.services and info.services[0] == service
    for key, value in extra.items():
        assert getattr(info, key) == value


def test_shared_prefixes_list_every_service():
    assert set(parse_host("rds.us-east-1.amazonaws.com").services) >= {"rds", "docdb", "neptune"}


@pytest.mark.parametrize("host", ["pypi.org", "api.anthropic.com", "example.com", "amazonaws.com.evil.net", "amazonaws.com"])
def test_non_aws_hosts(host):
    assert parse_host(host) is None


def test_unknown_aws_host_is_marked():
    info = parse_host("nosuchservice.us-east-1.amazonaws.com")
    assert info is not None and not info.known and info.services == ()

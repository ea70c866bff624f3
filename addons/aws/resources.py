"""The resources a call touches, as ARNs.

Any parameter value that already is an ARN counts. Names become ARNs through
the small table below, one line per parameter the models name but do not
turn into an ARN. The account id is left empty where the request does not
carry it (the agent never needs to know it), so rules match it with `*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

_SQS_URL = re.compile(r"^https?://[^/]+/(\d{12})/([^/?]+)")

# (service, parameter) -> ARN template; {p} partition, {r} region, {v} value.
_TEMPLATES: dict[tuple[str, str], str] = {
    ("dynamodb", "TableName"): "arn:{p}:dynamodb:{r}::table/{v}",
    ("dynamodbstreams", "StreamArn"): "{v}",
    ("secretsmanager", "SecretId"): "arn:{p}:secretsmanager:{r}::secret:{v}",
    ("secretsmanager", "Name"): "arn:{p}:secretsmanager:{r}::secret:{v}",
    ("ssm", "Name"): "arn:{p}:ssm:{r}::parameter/{v}",
    ("ssm", "Names"): "arn:{p}:ssm:{r}::parameter/{v}",
    ("lambda", "FunctionName"): "arn:{p}:lambda:{r}::function:{v}",
    ("iam", "UserName"): "arn:{p}:iam:::user/{v}",
    ("iam", "RoleName"): "arn:{p}:iam:::role/{v}",
    ("iam", "GroupName"): "arn:{p}:iam:::group/{v}",
    ("iam", "InstanceProfileName"): "arn:{p}:iam:::instance-profile/{v}",
    ("kms", "KeyId"): "arn:{p}:kms:{r}::key/{v}",
    ("logs", "logGroupName"): "arn:{p}:logs:{r}::log-group:{v}",
    ("ec2", "InstanceIds"): "arn:{p}:ec2:{r}::instance/{v}",
    ("ec2", "InstanceId"): "arn:{p}:ec2:{r}::instance/{v}",
    ("ec2", "VolumeId"): "arn:{p}:ec2:{r}::volume/{v}",
    ("ec2", "SnapshotId"): "arn:{p}:ec2:{r}::snapshot/{v}",
    ("ec2", "ImageId"): "arn:{p}:ec2:{r}::image/{v}",
    ("ec2", "SecurityGroupIds"): "arn:{p}:ec2:{r}::security-group/{v}",
    ("ec2", "GroupId"): "arn:{p}:ec2:{r}::security-group/{v}",
    ("cloudwatch", "AlarmNames"): "arn:{p}:cloudwatch:{r}::alarm:{v}",
    ("cloudwatch", "AlarmName"): "arn:{p}:cloudwatch:{r}::alarm:{v}",
    ("cloudtrail", "Name"): "arn:{p}:cloudtrail:{r}::trail/{v}",
    ("ecr", "repositoryName"): "arn:{p}:ecr:{r}::repository/{v}",
    ("kinesis", "StreamName"): "arn:{p}:kinesis:{r}::stream/{v}",
    ("states", "stateMachineArn"): "{v}",
    ("rds", "DBInstanceIdentifier"): "arn:{p}:rds:{r}::db:{v}",
    ("rds", "DBClusterIdentifier"): "arn:{p}:rds:{r}::cluster:{v}",
}


def _values(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def derive(service: str, params: dict, partition: str, region: str) -> list[str]:
    out: list[str] = []
    if service in ("s3", "s3control") and isinstance(params.get("Bucket"), str):
        out.append(_s3_arn(params["Bucket"], params.get("Key"), partition))
    if service == "s3" and isinstance(params.get("CopySource"), str):
        # The object a copy reads is touched as much as the one it writes.
        source = unquote(params["CopySource"].split("?versionId=")[0]).lstrip("/")
        if source.startswith("arn:"):
            out.append(source)
        else:
            bucket, _, key = source.partition("/")
            out.append(_s3_arn(bucket, key or None, partition))
    if service == "sqs" and isinstance(params.get("QueueUrl"), str):
        m = _SQS_URL.match(params["QueueUrl"])
        if m:
            out.append(f"arn:{partition}:sqs:{region}:{m.group(1)}:{m.group(2)}")
    for name, value in params.items():
        template = _TEMPLATES.get((service, name))
        for v in _values(value):
            if v.startswith("arn:"):
                out.append(v)
            elif template:
                out.append(template.format(p=partition, r=region, v=v.lstrip("/") if "parameter" in template else v))
    seen = set()
    return [a for a in out if not (a in seen or seen.add(a))]


def _s3_arn(bucket: str, key, partition: str) -> str:
    if bucket.startswith("arn:"):  # an access point or Object Lambda ARN
        return f"{bucket}/object/{key}" if isinstance(key, str) else bucket
    base = f"arn:{partition}:s3:::{bucket}"
    return f"{base}/{key}" if isinstance(key, str) else base

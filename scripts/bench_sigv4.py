#!/usr/bin/env python3
"""Per-request cost of the pure SigV4 functions (addons/aws/sigv4.py).

Builds a mixed corpus of agent requests signed by botocore (S3 GET/PUT/list
with odd keys and queries, DynamoDB, STS, SQS, EC2, a presigned S3 URL),
then times, one request at a time:

  parse_auth            what the classifier runs on every request
  parse_auth + verify   checking the agent's signature with its fake secret
  sign                  re-signing with the gateway's credentials

and prints the median and p99 over the corpus, with warm caches (the
steady state: signing keys and canonical path/query caches hot) and with the
path/query caches cleared before every call (signing keys stay cached, as
they do for a whole day).  botocore's SigV4Auth.add_auth is timed for
reference.

    python scripts/bench_sigv4.py [--rounds N]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials as BotoCredentials  # noqa: E402

from addons.aws import sigv4  # noqa: E402

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
AGENT = BotoCredentials("AKIDAGENTFAKE0000001", "agent-fake-secret/0123456789abcdefghijk")
GATEWAY = sigv4.Credentials("AKIAGATEWAY000000001", "gateway-real-secret/0123456789abcdefghi", "FQoGZXIvYXdzE" + "x" * 300)
SDK_HEADERS = [
    ("User-Agent", "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux#6.1 md/arch#x86_64 lang/python#3.12.3 cfg/retry-mode#legacy"),
    ("amz-sdk-invocation-id", "6f1c1a1e-4c1d-4a4b-8f0e-1c2d3e4f5a6b"),
    ("amz-sdk-request", "attempt=1; max=3"),
    ("Accept-Encoding", "identity"),
]


def corpus():
    """(name, method, url, headers, body, s3, region, service) signed by botocore."""
    cases = [
        ("s3 GetObject", "GET", "https://bucket.s3.us-east-1.amazonaws.com/a%20b/c%2Bd%3Fe%3Df%26g%25h~%C3%A9", [], b"", True, "s3"),
        ("s3 PutObject", "PUT", "https://bucket.s3.us-east-1.amazonaws.com/logs/2024/05/06/app.log", [("Content-Type", "text/plain"), ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")], b"x" * 2048, True, "s3"),
        ("s3 ListObjectsV2", "GET", "https://bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=dir%20with%20spaces%2F%C3%BC&max-keys=100&encoding-type=url", [], b"", True, "s3"),
        ("dynamodb GetItem", "POST", "https://dynamodb.us-east-1.amazonaws.com/", [("X-Amz-Target", "DynamoDB_20120810.GetItem"), ("Content-Type", "application/x-amz-json-1.0")], b'{"TableName": "t", "Key": {"pk": {"S": "user#123"}}}', False, "dynamodb"),
        ("sts GetCallerIdentity", "POST", "https://sts.us-east-1.amazonaws.com/", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], b"Action=GetCallerIdentity&Version=2011-06-15", False, "sts"),
        ("sqs SendMessage", "POST", "https://sqs.us-east-1.amazonaws.com/", [("X-Amz-Target", "AmazonSQS.SendMessage"), ("Content-Type", "application/x-amz-json-1.0")], b'{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MessageBody": "hello"}', False, "sqs"),
        ("ec2 DescribeInstances", "POST", "https://ec2.us-east-1.amazonaws.com/", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=web", False, "ec2"),
    ]
    out = []
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        for name, method, url, headers, body, s3, service in cases:
            r = AWSRequest(method=method, url=url, data=body)
            for k, v in SDK_HEADERS + headers:
                r.headers[k] = v
            (S3SigV4Auth if s3 else SigV4Auth)(AGENT, service, "us-east-1").add_auth(r)
            out.append((name, method, r.url, list(r.headers.items()), body, s3, "us-east-1", service))
        r = AWSRequest(method="GET", url="https://bucket.s3.us-east-1.amazonaws.com/report%202024.pdf")
        S3SigV4QueryAuth(AGENT, "s3", "us-east-1", expires=900).add_auth(r)
        out.append(("s3 presigned GET", "GET", r.url, [("Host", "bucket.s3.us-east-1.amazonaws.com")] + SDK_HEADERS, b"", True, "us-east-1", "s3"))
    return out


def clear_caches():
    sigv4._canonical_query_cached.cache_clear()
    sigv4._canonical_path.cache_clear()
    sigv4._host_value.cache_clear()


def timeit(fn, rounds, cold=False):
    samples = []
    pc = time.perf_counter_ns
    for _ in range(rounds):
        if cold:
            clear_caches()
        t0 = pc()
        fn()
        samples.append(pc() - t0)
    return samples


def fmt(samples):
    s = sorted(samples)
    med = statistics.median(s) / 1000
    p99 = s[min(len(s) - 1, int(len(s) * 0.99))] / 1000
    return f"median {med:6.2f} us   p99 {p99:6.2f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3000, help="timed calls per request and measure")
    args = ap.parse_args()

    reqs = corpus()
    secret = AGENT.secret_key
    results = {k: [] for k in ("parse", "verify", "sign", "parse-cold", "verify-cold", "sign-cold", "botocore")}
    per_request = []
    for name, method, url, headers, body, s3, region, service in reqs:
        auth = sigv4.parse_auth(method, url, headers)
        sigv4.verify(auth, method, url, headers, body, secret, NOW, s3=s3)  # must pass
        payload = dict((k.lower(), v) for k, v in headers).get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()

        def parse():
            sigv4.parse_auth(method, url, headers)

        def check():
            a = sigv4.parse_auth(method, url, headers)
            sigv4.verify(a, method, url, headers, body, secret, NOW, s3=s3)

        if auth.style == "query":
            def resign():
                sigv4.presign(method, url, headers, GATEWAY, region, service, NOW, 900, s3=s3)
        else:
            def resign():
                sigv4.sign(method, url, headers, payload, GATEWAY, region, service, NOW, s3=s3, signed=auth.signed_headers)

        def boto():
            r = AWSRequest(method=method, url=url, data=body)
            for k, v in headers:
                if k.lower() not in ("authorization", "x-amz-date", "x-amz-security-token"):
                    r.headers[k] = v
            (S3SigV4Auth if s3 else SigV4Auth)(BotoCredentials(GATEWAY.access_key, GATEWAY.secret_key, GATEWAY.token), service, region).add_auth(r)

        for fn in (parse, check, resign):
            timeit(fn, 200)  # warm up
        row = {
            "parse": timeit(parse, args.rounds),
            "verify": timeit(check, args.rounds),
            "sign": timeit(resign, args.rounds),
            "parse-cold": timeit(parse, args.rounds // 3, cold=True),
            "verify-cold": timeit(check, args.rounds // 3, cold=True),
            "sign-cold": timeit(resign, args.rounds // 3, cold=True),
        }
        if auth.style == "header":
            row["botocore"] = timeit(boto, max(100, args.rounds // 10))
        for k, v in row.items():
            results[k].extend(v)
        per_request.append((name, auth.style, row))

    print(f"SigV4 per request, {len(reqs)} kinds of request, {args.rounds} timed calls each (Python {sys.version.split()[0]})\n")
    print(f"{'request':24} {'parse_auth':>12} {'parse+verify':>14} {'sign':>10}   (medians, us)")
    for name, style, row in per_request:
        med = {k: statistics.median(v) / 1000 for k, v in row.items()}
        label = "presign" if style == "query" else "sign"
        print(f"{name:24} {med['parse']:12.2f} {med['verify']:14.2f} {med['sign']:10.2f}{'  (' + label + ')' if style == 'query' else ''}")
    print()
    print("over the mixed corpus, warm caches:")
    print(f"  parse_auth           {fmt(results['parse'])}")
    print(f"  parse_auth + verify  {fmt(results['verify'])}")
    print(f"  sign / presign       {fmt(results['sign'])}")
    print("path/query/host caches cleared before every call:")
    print(f"  parse_auth           {fmt(results['parse-cold'])}")
    print(f"  parse_auth + verify  {fmt(results['verify-cold'])}")
    print(f"  sign / presign       {fmt(results['sign-cold'])}")
    print("reference, botocore SigV4Auth/S3SigV4Auth.add_auth on a fresh AWSRequest:")
    print(f"  add_auth             {fmt(results['botocore'])}")


if __name__ == "__main__":
    main()

"""Benchmark: classification time per request, gateway start-up time and idle memory.

    .venv/bin/python scripts/bench_classify.py [-n 20000] [--profile] [--no-gateway]

1. Classification: a mixed corpus of realistic requests, built by botocore
   itself (real host names, endpoint rules, SigV4 with a fake key) for common
   operations of S3, DynamoDB, STS, IAM, SQS, SNS, Lambda, EC2, CloudWatch
   (CBOR), Secrets Manager, SSM, KMS and CloudWatch Logs. After a warm-up
   (every service's model loaded), `addons.aws.classify` runs over the corpus
   round-robin; each call is timed with perf_counter_ns.
2. Start-up: `mitmdump -s addons/suite.py` on a free loopback port, timed until
   the port accepts connections (and until it logs that it is listening).
3. Idle RSS: VmRSS of that mitmdump after start-up and a few plain HTTP
   requests through it to a local http.server; and again after a few AWS
   calls (which load the service index and some models).

Targets (from the issue): median classification < 200 us once a service's
model is loaded; start-up < 2 s; idle RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.server
import io
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from addons import lab  # noqa: E402
from addons.aws import classify  # noqa: E402
from tests.capture import Wire, capture  # noqa: E402

TARGET_MEDIAN_US = 200
TARGET_STARTUP_S = 2.0
TARGET_RSS_MB = 150

# (service, operation, params, capture options)
CORPUS = [
    ("s3", "GetObject", {"Bucket": "my-bucket", "Key": "reports/2024/summary q1.csv"}, {}),
    ("s3", "PutObject", {"Bucket": "my-bucket", "Key": "uploads/a.json", "Body": b'{"a": 1}' * 64,
                         "ContentType": "application/json", "Metadata": {"owner": "agent"}}, {}),
    ("s3", "ListObjectsV2", {"Bucket": "my-bucket", "Prefix": "logs/", "MaxKeys": 100}, {}),
    ("s3", "HeadObject", {"Bucket": "my-bucket", "Key": "k"}, {}),
    ("dynamodb", "GetItem", {"TableName": "orders", "Key": {"pk": {"S": "o#1"}, "sk": {"S": "v0"}},
                             "ConsistentRead": True}, {}),
    ("dynamodb", "PutItem", {"TableName": "orders", "Item": {
        "pk": {"S": "o#2"}, "sk": {"S": "v0"}, "total": {"N": "12.50"},
        "lines": {"L": [{"M": {"sku": {"S": "x"}, "qty": {"N": "2"}}}]}}}, {}),
    ("dynamodb", "Query", {"TableName": "orders", "KeyConditionExpression": "pk = :p",
                           "ExpressionAttributeValues": {":p": {"S": "o#1"}}, "Limit": 25}, {}),
    ("sts", "GetCallerIdentity", {}, {}),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/agent", "RoleSessionName": "agent-1",
                           "DurationSeconds": 900}, {}),
    ("iam", "ListRoles", {"PathPrefix": "/service-role/", "MaxItems": 50}, {}),
    ("iam", "GetUser", {"UserName": "alice"}, {}),
    ("sqs", "SendMessage", {"QueueUrl": "https://sqs.us-west-2.amazonaws.com/123456789012/jobs",
                            "MessageBody": "hello " * 20,
                            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "a"}}}, {}),
    ("sqs", "ReceiveMessage", {"QueueUrl": "https://sqs.us-west-2.amazonaws.com/123456789012/jobs",
                               "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}, {}),
    ("sns", "Publish", {"TopicArn": "arn:aws:sns:us-west-2:123456789012:alerts", "Message": "disk full",
                        "Subject": "alert"}, {}),
    ("lambda", "Invoke", {"FunctionName": "resize-image", "Payload": b'{"w": 100}',
                          "InvocationType": "RequestResponse"}, {}),
    ("ec2", "DescribeInstances", {"Filters": [{"Name": "tag:team", "Values": ["ml"]},
                                              {"Name": "instance-state-name", "Values": ["running"]}]}, {}),
    ("ec2", "RunInstances", {"ImageId": "ami-12345678", "InstanceType": "t3.micro", "MinCount": 1,
                             "MaxCount": 1, "TagSpecifications": [{"ResourceType": "instance",
                                                                   "Tags": [{"Key": "Name", "Value": "x"}]}]}, {}),
    ("cloudwatch", "PutMetricData", {"Namespace": "App", "MetricData": [
        {"MetricName": "latency", "Value": 12.5, "Unit": "Milliseconds",
         "Dimensions": [{"Name": "api", "Value": "get"}]}]}, {"protocol": "smithy-rpc-v2-cbor"}),
    ("cloudwatch", "GetMetricData", {"MetricDataQueries": [{"Id": "q1", "MetricStat": {
        "Metric": {"Namespace": "App", "MetricName": "latency"}, "Period": 60, "Stat": "p99"}}],
        "StartTime": 1700000000, "EndTime": 1700003600}, {"protocol": "smithy-rpc-v2-cbor"}),
    ("secretsmanager", "GetSecretValue", {"SecretId": "prod/db/password"}, {}),
    ("ssm", "GetParameter", {"Name": "/app/config/endpoint", "WithDecryption": True}, {}),
    ("kms", "Decrypt", {"CiphertextBlob": b"\x01\x02" * 64, "KeyId": "alias/app"}, {}),
    ("kms", "Encrypt", {"KeyId": "alias/app", "Plaintext": b"secret"}, {}),
    ("logs", "PutLogEvents", {"logGroupName": "/app", "logStreamName": "s1", "logEvents": [
        {"timestamp": 1700000000000 + i, "message": f"line {i}"} for i in range(10)]}, {}),
]


def build_corpus() -> list[tuple[str, Wire]]:
    out = []
    for service, op, params, opts in CORPUS:
        wire = capture(service, op, params, **opts)
        out.append((f"{service}.{op}", wire))
    return out


def check_corpus(corpus) -> list[str]:
    problems = []
    for name, w in corpus:
        call = classify(w.method, w.url, w.headers, w.body)
        got = f"{call.service}.{call.operation}" if call else "None"
        if got != name or call.unknown_reason:
            problems.append(f"{name}: classified as {got} ({call.unknown_reason if call else ''})")
    return problems


def bench_classify(corpus, n: int) -> dict:
    # Warm-up: every model loaded, caches filled.
    for _ in range(3):
        for _, w in corpus:
            classify(w.method, w.url, w.headers, w.body)
    per: dict[str, list[int]] = {name: [] for name, _ in corpus}
    times = []
    clock = time.perf_counter_ns
    k = len(corpus)
    for i in range(n):
        name, w = corpus[i % k]
        t0 = clock()
        classify(w.method, w.url, w.headers, w.body)
        dt = clock() - t0
        times.append(dt)
        per[name].append(dt)
    times.sort()
    return {
        "median_us": statistics.median(times) / 1000,
        "p99_us": times[int(len(times) * 0.99) - 1] / 1000,
        "mean_us": statistics.fmean(times) / 1000,
        "per": {name: statistics.median(v) / 1000 for name, v in per.items()},
    }


_COLD = r"""
import pickle, sys, time
t0 = time.perf_counter()
from addons.aws import classify
t1 = time.perf_counter()
corpus = pickle.load(sys.stdin.buffer)
out = [("import addons.aws", t1 - t0)]
seen = set()
for name, (m, u, h, b) in corpus:
    service = name.split(".")[0]
    if service in seen:
        continue
    seen.add(service)
    t = time.perf_counter()
    classify(m, u, h, b)
    out.append((name, time.perf_counter() - t))
import resource
out.append(("maxrss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
pickle.dump(out, sys.stdout.buffer)
"""


def bench_cold(corpus) -> list[tuple[str, float]]:
    """First classification per service in a fresh process: index + model load."""
    import pickle

    data = pickle.dumps([(n, (w.method, w.url, w.headers, w.body)) for n, w in corpus])
    r = subprocess.run([sys.executable, "-c", _COLD], input=data, capture_output=True, cwd=REPO, check=True)
    return pickle.loads(r.stdout)


def profile_classify(corpus, n: int = 5000, top: int = 18) -> str:
    prof = cProfile.Profile()
    k = len(corpus)
    prof.enable()
    for i in range(n):
        _, w = corpus[i % k]
        classify(w.method, w.url, w.headers, w.body)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# -- the gateway ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def bench_gateway(runs: int = 3) -> dict:
    mitmdump = Path(sys.executable).parent / "mitmdump"
    site = tempfile.mkdtemp(prefix="chaperone-bench-site-")
    Path(site, "index.html").write_text("hello\n")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: _Quiet(*a, directory=site, **k)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(PYTHONUNBUFFERED="1", AWS_ACCESS_KEY_ID="AKIDGATEWAYBENCH0000", AWS_SECRET_ACCESS_KEY="y" * 40,
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_EC2_METADATA_DISABLED="true")
    startups, listen_logs, idle, after_aws = [], [], [], []
    try:
        for _ in range(runs):
            work = Path(tempfile.mkdtemp(prefix="chaperone-bench-"))
            (work / "certs").mkdir()
            # The gateway's defaults, relative to its working directory: an
            # agents file (made by the CLI, as a user would) and the rule set.
            (work / "rules").symlink_to(REPO / "rules")
            out = subprocess.run(
                [str(Path(sys.executable).parent / "chaperone"), "agent", "add", "bench",
                 "--agents", str(work / "agents.yaml")],
                cwd=work, env=env, capture_output=True, text=True, check=True,
            ).stdout
            agent = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
            port = _free_port()
            log = work / "gateway.log"
            args = [str(mitmdump), "-s", str(REPO / "addons" / "suite.py"),
                    "--set", f"confdir={work / 'certs'}", "-p", str(port), "--listen-host", "127.0.0.1",
                    # Anything the gateway would forward to AWS goes to a closed loopback port.
                    "--set", f"chaperone_upstream=http://127.0.0.1:{_free_port()}"]
            t0 = time.perf_counter()
            proc = subprocess.Popen(args, cwd=work, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            try:
                port_at = logged_at = None
                deadline = t0 + 30
                while time.perf_counter() < deadline and (port_at is None or logged_at is None):
                    if proc.poll() is not None:
                        raise RuntimeError(f"mitmdump exited {proc.returncode}:\n{log.read_text()[-2000:]}")
                    if logged_at is None and "listening" in log.read_text(errors="replace"):
                        logged_at = time.perf_counter() - t0
                    if port_at is None:
                        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                            port_at = time.perf_counter() - t0
                    time.sleep(0.005)
                if port_at is None:
                    raise TimeoutError(f"mitmdump not listening after 30 s:\n{log.read_text()[-2000:]}")
                startups.append(port_at)
                listen_logs.append(logged_at)
                opener = urllib.request.build_opener(
                    urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
                )
                for _ in range(5):
                    with opener.open(target, timeout=10) as r:
                        assert r.read() == b"hello\n"
                time.sleep(0.3)
                idle.append(_rss_kb(proc.pid))
                # A few AWS calls, signed by the agent (plain HTTP to real AWS
                # host names through the proxy; the gateway forwards to a closed
                # loopback port, so nothing leaves the machine): the service
                # index and a few models get loaded.
                _aws_calls(port, agent)
                time.sleep(0.3)
                after_aws.append(_rss_kb(proc.pid))
            finally:
                lab.stop(proc)
    finally:
        server.shutdown()
    return {
        "startup_s": statistics.median(startups),
        "startups": startups,
        "listen_log_s": statistics.median([x for x in listen_logs if x is not None] or [float("nan")]),
        "idle_rss_mb": statistics.median(idle) / 1024,
        "after_aws_rss_mb": statistics.median(after_aws) / 1024,
    }


def _aws_calls(port: int, agent: dict) -> None:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    cfg = Config(proxies={"http": f"http://127.0.0.1:{port}"}, retries={"max_attempts": 1},
                 connect_timeout=5, read_timeout=5)
    for service, op, params, host in (
        ("sts", "GetCallerIdentity", {}, "sts.us-east-1.amazonaws.com"),
        ("dynamodb", "ListTables", {}, "dynamodb.us-east-1.amazonaws.com"),
        ("s3", "ListObjectsV2", {"Bucket": "bench-bucket"}, "s3.us-east-1.amazonaws.com"),
        ("ec2", "DescribeVpcs", {}, "ec2.us-east-1.amazonaws.com"),
    ):
        client = session.create_client(
            service, region_name="us-east-1", endpoint_url=f"http://{host}", config=cfg,
            aws_access_key_id=agent["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=agent["AWS_SECRET_ACCESS_KEY"],
        )
        with contextlib.suppress(Exception):
            client._make_api_call(op, params)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20000, help="classifications to time")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of the hot path")
    ap.add_argument("--no-gateway", action="store_true", help="skip the mitmdump start-up/memory part")
    ap.add_argument("--runs", type=int, default=3, help="gateway start-ups to time")
    args = ap.parse_args()

    corpus = build_corpus()
    problems = check_corpus(corpus)
    print(f"corpus: {len(corpus)} requests across {len({n.split('.')[0] for n, _ in corpus})} services")
    for p in problems:
        print("  misclassified:", p)

    r = bench_classify(corpus, args.n)
    print(f"\nclassification, {args.n} calls (models loaded):")
    print(f"  median {r['median_us']:8.1f} us   target < {TARGET_MEDIAN_US} us   {verdict(r['median_us'] < TARGET_MEDIAN_US)}")
    print(f"  p99    {r['p99_us']:8.1f} us")
    print(f"  mean   {r['mean_us']:8.1f} us")
    print("  median per request:")
    for name, us in sorted(r["per"].items(), key=lambda kv: -kv[1]):
        print(f"    {name:32} {us:8.1f} us")

    cold = bench_cold(corpus)
    print("\nfirst classification per service in a fresh process (service index, model load):")
    for name, sec in cold:
        if name == "maxrss_mb":
            print(f"    {'max RSS of that process':32} {sec:8.1f} MB")
        else:
            print(f"    {name:32} {sec * 1000:8.1f} ms")

    if args.profile:
        print("\ncProfile of the hot path (sorted by own time):")
        print(profile_classify(corpus))

    failed = bool(problems) or r["median_us"] >= TARGET_MEDIAN_US
    if not args.no_gateway:
        g = bench_gateway(args.runs)
        print(f"\ngateway (mitmdump -s addons/suite.py), {args.runs} start-ups:")
        print(f"  start-up (port accepts) {g['startup_s']:6.2f} s    target < {TARGET_STARTUP_S} s   "
              f"{verdict(g['startup_s'] < TARGET_STARTUP_S)}   (runs: {', '.join(f'{x:.2f}' for x in g['startups'])})")
        print(f"  start-up (logs 'listening') {g['listen_log_s']:6.2f} s")
        print(f"  idle RSS after 5 plain HTTP requests {g['idle_rss_mb']:6.1f} MB   target < {TARGET_RSS_MB} MB   "
              f"{verdict(g['idle_rss_mb'] < TARGET_RSS_MB)}")
        print(f"  RSS after 4 AWS calls (service index + models loaded) {g['after_aws_rss_mb']:6.1f} MB")
        failed |= g["startup_s"] >= TARGET_STARTUP_S or g["idle_rss_mb"] >= TARGET_RSS_MB
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

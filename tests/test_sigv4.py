"""SigV4 parse/verify/sign/presign: property-tested against botocore's signers,
checked against real boto3 clients and the AWS CLI (requests captured before
they leave), against moto's signature checker, and on the ways a request can
be wrong."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import os
import urllib.parse
from contextlib import contextmanager
from unittest import mock

import boto3
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.utils import percent_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addons.aws import sigv4
from addons.aws.sigv4 import (
    AuthInfo,
    Credentials,
    SigningKeyCache,
    SigV4Error,
    header_dict,
    parse_auth,
    presign,
    sign,
    sign_request,
    verify,
)

AGENT_KEY = "AKIDAGENTFAKE0000001"
AGENT_SECRET = "agent/fake+secret0123456789abcdefghijklmn"
GATEWAY = Credentials("AKIAGATEWAYREAL00001", "gateway/REAL+secret9876543210zyxwvutsrqpo", "FQoGZXIvYXdzEXAMPLETOKEN//+/=")
FIXED = datetime.datetime(2024, 5, 6, 7, 8, 9)
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BLACKLISTED = ["User-Agent", "Expect", "X-Amzn-Trace-Id", "Connection", "Transfer-Encoding", "traceparent"]


# --------------------------------------------------------------------------
# botocore helpers


@contextmanager
def frozen_time(when: datetime.datetime):
    """botocore.auth reads the clock through get_current_datetime()."""
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        yield


def boto_creds(c: Credentials) -> BotoCredentials:
    return BotoCredentials(c.access_key, c.secret_key, c.token)


def boto_request(method, url, headers, body=b"") -> AWSRequest:
    r = AWSRequest(method=method, url=url, data=body)
    for k, v in headers:
        r.headers[k] = v  # email.message semantics: appends, so repeats survive
    return r


def boto_sign(method, url, headers, body, creds, region, service, when, *, s3) -> AWSRequest:
    r = boto_request(method, url, headers, body)
    cls = S3SigV4Auth if s3 else SigV4Auth
    with frozen_time(when):
        cls(boto_creds(creds), service, region).add_auth(r)
    return r


def boto_presign(method, url, headers, creds, region, service, when, expires, *, s3) -> str:
    r = boto_request(method, url, headers)
    cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
    with frozen_time(when):
        cls(boto_creds(creds), service, region, expires=expires).add_auth(r)
    return r.url


def items(r: AWSRequest) -> list[tuple[str, str]]:
    return [(k, v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()]


def one(headers, name):
    vals = [v for k, v in headers if k.lower() == name.lower()]
    assert len(vals) <= 1, (name, vals)
    return vals[0] if vals else None


# --------------------------------------------------------------------------
# strategies

_seg_chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
_raw_path_chars = "abcXYZ019-._~!$&'()*+,;=:@%"


@st.composite
def paths(draw, allow_dots=True):
    segs = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["enc", "raw", "dot", "empty"] if allow_dots else ["enc", "raw"]))
        if kind == "enc":
            segs.append(percent_encode(draw(st.text(_seg_chars, max_size=8)), safe="~"))
        elif kind == "raw":
            segs.append(draw(st.text(_raw_path_chars, max_size=8)))
        elif kind == "dot":
            segs.append(draw(st.sampled_from([".", ".."])))
        else:
            segs.append("")
    path = "/" + "/".join(segs)
    if draw(st.booleans()):
        path += "/"
    return path.replace("//", "/") if not allow_dots else path


@st.composite
def queries(draw, unique=False):
    keys = draw(st.lists(st.text(_seg_chars, max_size=6), max_size=5, unique=unique))
    if not unique and keys and draw(st.booleans()):
        keys.append(keys[0])  # a repeated key
    parts = []
    for k in keys:
        v = draw(st.one_of(st.just(""), st.text(_seg_chars, max_size=8)))
        if v == "" and draw(st.booleans()):
            parts.append(percent_encode(k))  # bare key, no '='
        else:
            parts.append(f"{percent_encode(k)}={percent_encode(v)}")
    return "&".join(parts)


hosts = st.sampled_from(
    [
        "dynamodb.us-east-1.amazonaws.com",
        "bucket.s3.eu-west-1.amazonaws.com:443",
        "S3.Amazonaws.COM",
        "localhost:8443",
        "127.0.0.1:5000",
        "[::1]:9000",
    ]
)
_value_chars = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from([" ", "\t", "é", "ü"])
header_values = st.text(_value_chars, max_size=20)
amz_names = st.from_regex(r"x-amz-[a-z0-9][a-z0-9-]{0,10}", fullmatch=True).filter(
    lambda n: n not in ("x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "x-amz-s3session-token")
)
extra_names = st.sampled_from(["amz-sdk-invocation-id", "amz-sdk-request", "accept", "content-length", "x-custom-thing", "range"])
regions = st.sampled_from(["us-east-1", "eu-west-2", "ap-southeast-1", "cn-north-1"])
services = st.sampled_from(["s3", "dynamodb", "sts", "execute-api", "sqs", "ec2"])
methods = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "patch"])
times = st.datetimes(min_value=datetime.datetime(2001, 1, 1), max_value=datetime.datetime(2099, 12, 31))
creds_st = st.builds(
    Credentials,
    st.from_regex(r"A[SK]IA[A-Z0-9]{16}", fullmatch=True),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    st.one_of(st.none(), st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60)),
)


def _case(draw, name):
    return draw(st.sampled_from([name, name.upper(), name.title()]))


@st.composite
def header_sets(draw):
    """(kept, extra_signed_names): headers botocore and we both sign, plus
    blacklisted ones both leave out."""
    kept = []
    for n in draw(st.lists(amz_names, max_size=4)):
        kept.append((_case(draw, n), draw(header_values)))
    if kept and draw(st.booleans()):
        kept.append((kept[0][0].lower(), draw(header_values)))  # repeated header
    if draw(st.booleans()):
        kept.append(("Content-Type", draw(header_values)))
    if draw(st.booleans()):
        kept.append(("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="))
    extras = draw(st.lists(extra_names, max_size=3, unique=True))
    for n in extras:
        kept.append((_case(draw, n), draw(header_values)))
    blacklisted = [(n, draw(header_values)) for n in draw(st.lists(st.sampled_from(BLACKLISTED), max_size=3, unique=True))]
    return kept, extras, blacklisted


# --------------------------------------------------------------------------
# sign / presign == botocore


@PROPS
@given(
    s3=st.booleans(),
    method=methods,
    host=hosts,
    path=paths(),
    query=queries(),
    hs=header_sets(),
    body=st.binary(max_size=64),
    creds=creds_st,
    region=regions,
    service=services,
    when=times,
    host_header=st.booleans(),
    had_sha=st.booleans(),
    scheme=st.sampled_from(["https", "http"]),
)
def test_sign_matches_botocore(s3, method, host, path, query, hs, body, creds, region, service, when, host_header, had_sha, scheme):
    kept, extras, blacklisted = hs
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    payload_hash = hashlib.sha256(body).hexdigest()
    host_value = sigv4._host_value(scheme, host)

    boto_headers = list(kept) + blacklisted
    if host_header:
        boto_headers.append(("Host", host_value))
    if had_sha and not s3:
        boto_headers.append(("X-Amz-Content-SHA256", payload_hash))
    expected = boto_sign(method, url, boto_headers, body, creds, region, service, when, s3=s3)

    # What the gateway gets: the agent's request, with the agent's auth on it.
    agent = list(kept) + blacklisted + [
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDAGENT/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
        ("X-Amz-Date", "20200101T000000Z"),
        ("X-Amz-Security-Token", "agent-fake-token"),
    ]
    if host_header:
        agent.insert(0, ("Host", "agent.example"))  # rewritten to the URL's host
    if had_sha:
        agent.append(("x-amz-content-sha256", "UNSIGNED-PAYLOAD"))
    got = sign(method, url, agent, payload_hash, creds, region, service, when, s3=s3, signed=extras)

    assert one(got, "Authorization") == expected.headers["Authorization"]
    assert one(got, "X-Amz-Date") == expected.headers["X-Amz-Date"]
    assert one(got, "X-Amz-Security-Token") == expected.headers.get("X-Amz-Security-Token")
    assert one(got, "X-Amz-Content-SHA256") == expected.headers.get("X-Amz-Content-SHA256")
    if host_header:
        assert one(got, "Host") == host_value
    # Everything else the agent sent is still there, in order.
    owned = {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "host"}
    assert [h for h in got if h[0].lower() not in owned] == [h for h in agent if h[0].lower() not in owned]

    # And our own verifier accepts it.
    auth = parse_auth(method, url, got)
    assert auth is not None and auth.access_key == creds.access_key
    verify(auth, method, url, got, body, creds.secret_key, when, s3=s3)


@PROPS
@given(
    s3=st.booleans(),
    method=methods,
    host=hosts,
    path=paths(),
    query=queries(unique=True),
    extra=st.lists(amz_names | st.just("content-type") | st.just("range"), max_size=3, unique=True),
    creds=creds_st,
    region=regions,
    service=services,
    when=times,
    expires=st.integers(1, 604800),
    agent_auth=st.booleans(),
)
def test_presign_matches_botocore(s3, method, host, path, query, extra, creds, region, service, when, expires, agent_auth):
    url = f"https://{host}{path}" + (f"?{query}" if query else "")
    headers = [(n, f"value of {n}") for n in extra]
    expected = boto_presign(method, url, headers, creds, region, service, when, expires, s3=s3)

    agent_url = url
    if agent_auth:  # the agent's own presigned parameters are replaced
        agent_url += ("&" if query else "?") + (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDAGENT%2F20200101%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=fake"
            "&X-Amz-Signature=" + "0" * 64
        )
    got = presign(method, agent_url, headers, creds, region, service, when, expires, s3=s3, signed=["host", *extra])
    assert got == expected

    auth = parse_auth(method, got, headers)
    assert auth.style == "query" and auth.expires == expires and auth.security_token == creds.token
    verify(auth, method, got, headers, None, creds.secret_key, when.replace(microsecond=0) + datetime.timedelta(seconds=expires), s3=s3)


@PROPS
@given(
    s3=st.booleans(),
    method=methods,
    host=hosts,
    path=paths(),
    query=queries(),
    hs=header_sets(),
    others=st.lists(st.tuples(st.sampled_from(["Accept", "X-Whatever", "If-Match", "Content-Language"]), header_values), max_size=3),
    body=st.binary(max_size=64),
    creds=creds_st,
    region=regions,
    service=services,
    when=times,
    date_header=st.booleans(),
    skew=st.integers(-899, 899),
)
def test_verify_accepts_botocore(s3, method, host, path, query, hs, others, body, creds, region, service, when, date_header, skew):
    """botocore signs every header that is not on its blacklist: we must
    canonicalise whatever the client listed, including a Date header."""
    kept, _, blacklisted = hs
    url = f"https://{host}{path}" + (f"?{query}" if query else "")
    headers = kept + others + blacklisted
    if date_header:
        headers.append(("Date", "Mon, 01 Jan 2001 00:00:00 GMT"))  # botocore rewrites it
    r = boto_sign(method, url, headers, body, creds, region, service, when, s3=s3)
    got = items(r)
    auth = parse_auth(method, url, got)
    assert auth.style == "header"
    assert auth.amz_date == when.strftime("%Y%m%dT%H%M%SZ")
    if date_header:
        assert "date" in auth.signed_headers and "x-amz-date" not in auth.signed_headers
    now = when + datetime.timedelta(seconds=skew)
    verify(auth, method, url, got, body, creds.secret_key, now, s3=s3)
    if s3:  # the hash is in x-amz-content-sha256: the body can be checked later
        verify(auth, method, url, got, None, creds.secret_key, now, s3=s3)
    with pytest.raises(SigV4Error) as e:
        verify(auth, method, url, got, body, creds.secret_key + "x", now, s3=s3)
    assert e.value.code == "SignatureDoesNotMatch"


# --------------------------------------------------------------------------
# real clients


@pytest.fixture
def clean_aws_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_") and k != "AWS_DATA_PATH":  # awscli puts its data path there
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Captured(Exception):
    pass


def _capture_handler(holder):
    def handler(request, **kwargs):
        holder.append(request)
        raise Captured()

    return handler


def prepared(request):
    body = request.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
    return request.method, request.url, headers, body


def capture(service, operation, params, region="us-east-1", token=None, **config):
    client = boto3.session.Session(
        aws_access_key_id=AGENT_KEY, aws_secret_access_key=AGENT_SECRET, aws_session_token=token, region_name=region
    ).client(service, config=Config(retries={"total_max_attempts": 1}, **config))
    holder = []
    client.meta.events.register("before-send", _capture_handler(holder))
    with pytest.raises(Captured):
        getattr(client, operation)(**params)
    return prepared(holder[0])


WEIRD_KEY = "a b/c+d?e=f&g%h~é"
BOTO3_CASES = [
    ("s3", "put_object", {"Bucket": "bucket", "Key": "k/1.txt", "Body": b"hello world" * 100}, {}),
    ("s3", "put_object", {"Bucket": "bucket", "Key": WEIRD_KEY, "Body": b"x" * 10}, {"request_checksum_calculation": "when_required"}),
    ("s3", "put_object", {"Bucket": "bucket", "Key": "k", "Body": b"x"}, {"s3": {"payload_signing_enabled": True}}),
    ("s3", "list_objects_v2", {"Bucket": "bucket", "Prefix": "dir with spaces/ünïcødé+plus&amp=", "MaxKeys": 5}, {}),
    ("s3", "get_object", {"Bucket": "bucket", "Key": WEIRD_KEY, "Range": "bytes=0-9"}, {}),
    ("s3", "get_object", {"Bucket": "bucket.with.dots", "Key": WEIRD_KEY}, {"s3": {"addressing_style": "path"}}),
    ("s3", "list_buckets", {}, {}),
    ("s3", "delete_objects", {"Bucket": "bucket", "Delete": {"Objects": [{"Key": "a"}, {"Key": WEIRD_KEY}]}}, {}),
    ("dynamodb", "get_item", {"TableName": "t", "Key": {"pk": {"S": "é x"}}}, {}),
    ("sts", "get_caller_identity", {}, {}),
    ("sqs", "send_message", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MessageBody": "hi there"}, {}),
    ("ec2", "describe_instances", {"Filters": [{"Name": "tag:Name", "Values": ["a b", "c/d"]}]}, {}),
    ("iam", "list_users", {"PathPrefix": "/division_abc/"}, {}),
    ("lambda", "invoke", {"FunctionName": "my-function:prod", "Payload": b"{}"}, {}),
    ("apigateway", "get_rest_apis", {"limit": 5}, {}),
]


@pytest.mark.parametrize("service,operation,params,config", BOTO3_CASES, ids=[f"{c[0]}.{c[1]}-{i}" for i, c in enumerate(BOTO3_CASES)])
@pytest.mark.parametrize("token", [None, "agent-session-token"])
def test_verify_real_boto3(clean_aws_env, service, operation, params, config, token):
    method, url, headers, body = capture(service, operation, params, token=token, **config)
    now = datetime.datetime.now(datetime.timezone.utc)
    auth = parse_auth(method, url, headers)
    assert auth.access_key == AGENT_KEY and auth.region == "us-east-1"
    assert auth.security_token == token
    s3 = auth.service == "s3"
    verify(auth, method, url, headers, body, AGENT_SECRET, now, s3=s3)
    with pytest.raises(SigV4Error):
        verify(auth, method, url, headers, body, AGENT_SECRET[:-1], now, s3=s3)

    # Re-signed for the gateway, the request verifies with the gateway's secret,
    # and nothing of the agent's auth is left.
    payload = one(headers, "x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    out = sign(method, url, headers, payload, GATEWAY, auth.region, auth.service, now, s3=s3, signed=auth.signed_headers)
    assert AGENT_KEY not in str(out) and (token is None or token not in str(out))
    gauth = parse_auth(method, url, out)
    assert gauth.access_key == GATEWAY.access_key and gauth.security_token == GATEWAY.token
    verify(gauth, method, url, out, body, GATEWAY.secret_key, now, s3=s3)


def test_boto3_s3_put_object_signs_unsigned_trailer(clean_aws_env):
    """boto3's default for PutObject today: aws-chunked, checksum in a trailer."""
    method, url, headers, body = capture("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"data" * 10})
    assert one(headers, "x-amz-content-sha256") == sigv4.STREAMING_UNSIGNED_PAYLOAD_TRAILER
    auth = parse_auth(method, url, headers)
    assert "content-encoding" in auth.signed_headers
    verify(auth, method, url, headers, body, AGENT_SECRET, datetime.datetime.now(datetime.timezone.utc), s3=True)


@pytest.mark.parametrize("service,operation,params", [
    ("s3", "get_object", {"Bucket": "bucket", "Key": WEIRD_KEY}),
    ("s3", "put_object", {"Bucket": "bucket", "Key": "up/load.bin"}),
    ("s3", "list_objects_v2", {"Bucket": "bucket", "Prefix": "a b+c"}),
    ("sts", "get_caller_identity", {}),
])
@pytest.mark.parametrize("token", [None, "agent-session-token"])
def test_verify_boto3_presigned_url(clean_aws_env, service, operation, params, token):
    client = boto3.session.Session(
        aws_access_key_id=AGENT_KEY, aws_secret_access_key=AGENT_SECRET, aws_session_token=token, region_name="eu-west-1"
    ).client(service, config=Config(signature_version="s3v4") if service == "s3" else None)
    url = client.generate_presigned_url(operation, Params=params, ExpiresIn=600)
    # botocore presigns with the operation's own HTTP method (POST for STS).
    method = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[operation]).http["method"]
    auth = parse_auth(method, url, [])
    assert auth.style == "query" and auth.expires == 600 and auth.security_token == token
    now = datetime.datetime.now(datetime.timezone.utc)
    verify(auth, method, url, [], None, AGENT_SECRET, now, s3=service == "s3")
    with pytest.raises(SigV4Error) as e:
        verify(auth, method, url, [], None, AGENT_SECRET, now + datetime.timedelta(seconds=700), s3=service == "s3")
    assert e.value.code == ("AccessDenied" if service == "s3" else "RequestExpired")
    assert "expired" in e.value.message
    # The gateway's own presigned URL verifies with the gateway's secret.
    gurl = presign(method, url, [], GATEWAY, auth.region, auth.service, now, 600, s3=service == "s3")
    assert AGENT_KEY not in gurl and "agent-session-token" not in gurl
    gauth = parse_auth(method, gurl, [])
    verify(gauth, method, gurl, [], None, GATEWAY.secret_key, now, s3=service == "s3")


@pytest.mark.parametrize("argv", [
    ["s3api", "list-objects-v2", "--bucket", "bucket", "--prefix", "a b/é+"],
    ["s3api", "get-object", "--bucket", "bucket", "--key", WEIRD_KEY, "/dev/null"],
    ["s3api", "put-object", "--bucket", "bucket", "--key", "x y", "--body", __file__],
    ["sts", "get-caller-identity"],
    ["dynamodb", "list-tables"],
    ["ec2", "describe-vpcs"],
])
def test_verify_aws_cli(clean_aws_env, monkeypatch, argv):
    """The AWS CLI (v1, on botocore) driven in-process; the request is captured before it is sent."""
    awscli_driver = pytest.importorskip("awscli.clidriver")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AGENT_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AGENT_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    driver = awscli_driver.create_clidriver()
    holder = []
    driver.session.register("before-send", _capture_handler(holder))
    driver.main(argv)
    assert holder, "the CLI sent nothing"
    method, url, headers, body = prepared(holder[0])
    auth = parse_auth(method, url, headers)
    assert auth.access_key == AGENT_KEY and auth.region == "us-west-2"
    verify(auth, method, url, headers, body, AGENT_SECRET, datetime.datetime.now(datetime.timezone.utc), s3=auth.service == "s3")


# --------------------------------------------------------------------------
# what AWS's checker (moto's, i.e. botocore's) accepts


def _send(moto, method, url, headers, body=b""):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=10)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    if not any(k.lower() == "host" for k, _ in headers):
        conn.putheader("Host", parts.netloc)
    for k, v in headers:
        conn.putheader(k, v)
    if body or method in ("PUT", "POST"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def test_signed_requests_accepted_by_moto(moto):
    moto.set_auth(True)
    creds = Credentials(moto.access_key, moto.secret_key)
    now = datetime.datetime.now(datetime.timezone.utc)

    def call(method, url, headers, body=b"", *, s3, service, region="us-east-1"):
        payload = hashlib.sha256(body).hexdigest()
        out = sign(method, url, headers, payload, creds, region, service, now, s3=s3)
        return _send(moto, method, url, out, body)

    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    status, data = call("POST", "https://sts.amazonaws.com/", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("User-Agent", "x")], body, s3=False, service="sts")
    assert status == 200, data
    assert b"GetCallerIdentityResult" in data

    status, data = call("PUT", "https://s3.amazonaws.com/chaperone-sigv4-test", [], s3=True, service="s3")
    assert status == 200, data
    key = urllib.parse.quote(WEIRD_KEY, safe="/~")
    status, data = call("PUT", f"https://s3.amazonaws.com/chaperone-sigv4-test/{key}", [("Content-Type", "text/plain"), ("x-amz-meta-Note", "  two   spaces ")], b"payload!", s3=True, service="s3")
    assert status == 200, data
    status, data = call("GET", f"https://s3.amazonaws.com/chaperone-sigv4-test/{key}", [], s3=True, service="s3")
    assert (status, data) == (200, b"payload!")
    status, data = call("GET", "https://s3.amazonaws.com/chaperone-sigv4-test?list-type=2&prefix=a%20b&max-keys=10", [], s3=True, service="s3")
    assert status == 200 and b"<Key>a b/c+d?e=f&amp;g%h~\xc3\xa9</Key>" in data, data

    status, data = call("POST", "https://dynamodb.us-east-1.amazonaws.com/", [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "DynamoDB_20120810.ListTables")], b"{}", s3=False, service="dynamodb")
    assert status == 200, data

    # (No presigned URL here: moto 5.2 with auth on answers 500 to any request
    # without an Authorization header -- KeyError 'HTTP_AUTHORIZATION'.)

    # And a wrong secret is refused.
    bad = sign("GET", f"https://s3.amazonaws.com/chaperone-sigv4-test/{key}", [], hashlib.sha256(b"").hexdigest(), Credentials(moto.access_key, "wrong"), "us-east-1", "s3", now, s3=True)
    status, data = _send(moto, "GET", f"https://s3.amazonaws.com/chaperone-sigv4-test/{key}", bad)
    assert status == 403 and b"SignatureDoesNotMatch" in data


# --------------------------------------------------------------------------
# negative cases


def _agent_request(method="POST", url="https://sts.us-east-1.amazonaws.com/", body=b"Action=GetCallerIdentity&Version=2011-06-15", when=FIXED, service="sts", s3=False, extra=()):
    headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), *extra]
    r = boto_sign(method, url, headers, body, Credentials(AGENT_KEY, AGENT_SECRET), "us-east-1", service, when, s3=s3)
    return method, url, items(r), body


ERRORS: list[SigV4Error] = []


def _raises(code, fn, *args, **kwargs) -> SigV4Error:
    with pytest.raises(SigV4Error) as e:
        fn(*args, **kwargs)
    assert e.value.code == code, e.value
    assert AGENT_SECRET not in str(e.value) and GATEWAY.secret_key not in str(e.value)
    ERRORS.append(e.value)
    return e.value


def test_wrong_secret():
    method, url, headers, body = _agent_request()
    auth = parse_auth(method, url, headers)
    err = _raises("SignatureDoesNotMatch", verify, auth, method, url, headers, body, "not-the-secret", FIXED, s3=False)
    # The signature the gateway expected is never shown.
    expected = boto_sign(method, url, headers, body, Credentials(AGENT_KEY, "not-the-secret"), "us-east-1", "sts", FIXED, s3=False)
    expected_sig = expected.headers["Authorization"].rpartition("=")[2]
    assert expected_sig not in str(err)


@pytest.mark.parametrize("minutes", [20, -20])
def test_skewed_date(minutes):
    method, url, headers, body = _agent_request()
    auth = parse_auth(method, url, headers)
    _raises("RequestTimeTooSkewed", verify, auth, method, url, headers, body, AGENT_SECRET, FIXED + datetime.timedelta(minutes=minutes), s3=False)
    verify(auth, method, url, headers, body, AGENT_SECRET, FIXED + datetime.timedelta(minutes=minutes // 2), s3=False)


def test_aware_and_naive_now_agree():
    method, url, headers, body = _agent_request()
    auth = parse_auth(method, url, headers)
    verify(auth, method, url, headers, body, AGENT_SECRET, FIXED.replace(tzinfo=datetime.timezone.utc), s3=False)
    tz = datetime.timezone(datetime.timedelta(hours=5))
    verify(auth, method, url, headers, body, AGENT_SECRET, FIXED.replace(tzinfo=datetime.timezone.utc).astimezone(tz), s3=False)


def test_body_altered_after_signing():
    method, url, headers, body = _agent_request()
    auth = parse_auth(method, url, headers)
    _raises("SignatureDoesNotMatch", verify, auth, method, url, headers, body + b"&x=1", AGENT_SECRET, FIXED, s3=False)
    # S3: the body no longer matches x-amz-content-sha256.
    method, url, headers, body = _agent_request("PUT", "https://b.s3.amazonaws.com/k", b"original", service="s3", s3=True)
    auth = parse_auth(method, url, headers)
    verify(auth, method, url, headers, body, AGENT_SECRET, FIXED, s3=True)
    _raises("XAmzContentSHA256Mismatch", verify, auth, method, url, headers, b"tampered", AGENT_SECRET, FIXED, s3=True)
    # ... and a changed x-amz-content-sha256 breaks the signature.
    forged = [(k, hashlib.sha256(b"tampered").hexdigest()) if k.lower() == "x-amz-content-sha256" else (k, v) for k, v in headers]
    _raises("SignatureDoesNotMatch", verify, auth, method, url, forged, b"tampered", AGENT_SECRET, FIXED, s3=True)


def test_tampered_url_and_headers():
    method, url, headers, body = _agent_request("GET", "https://b.s3.amazonaws.com/key?prefix=a", b"", service="s3", s3=True, extra=[("x-amz-meta-a", "1")])
    auth = parse_auth(method, url, headers)
    verify(auth, method, url, headers, body, AGENT_SECRET, FIXED, s3=True)
    _raises("SignatureDoesNotMatch", verify, auth, method, url.replace("prefix=a", "prefix=b"), headers, body, AGENT_SECRET, FIXED, s3=True)
    _raises("SignatureDoesNotMatch", verify, auth, method, url.replace("/key", "/other"), headers, body, AGENT_SECRET, FIXED, s3=True)
    _raises("SignatureDoesNotMatch", verify, auth, "DELETE", url, headers, body, AGENT_SECRET, FIXED, s3=True)
    changed = [(k, "2" if k == "x-amz-meta-a" else v) for k, v in headers]
    _raises("SignatureDoesNotMatch", verify, auth, method, url, changed, body, AGENT_SECRET, FIXED, s3=True)
    dropped = [(k, v) for k, v in headers if k != "x-amz-meta-a"]
    _raises("SignatureDoesNotMatch", verify, auth, method, url, dropped, body, AGENT_SECRET, FIXED, s3=True)
    # Host comes from the Host header (what was signed); with none, from the URL.
    no_host = [(k, v) for k, v in headers if k.lower() != "host"]
    verify(auth, method, url, no_host, body, AGENT_SECRET, FIXED, s3=True)
    _raises("SignatureDoesNotMatch", verify, auth, method, url.replace("b.s3", "c.s3"), no_host, body, AGENT_SECRET, FIXED, s3=True)


def test_host_not_signed():
    # Sign by hand without host in SignedHeaders.
    r = AWSRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", data=b"")
    with frozen_time(FIXED):
        auth = SigV4Auth(BotoCredentials(AGENT_KEY, AGENT_SECRET), "sts", "us-east-1")
        def only_date(request):
            h = HTTPHeaders()
            h["x-amz-date"] = request.headers["X-Amz-Date"]
            return h

        auth.headers_to_sign = only_date
        auth.add_auth(r)
    headers = items(r)
    info = parse_auth("GET", r.url, headers)
    assert info.signed_headers == ("x-amz-date",)
    err = _raises("IncompleteSignature", verify, info, "GET", r.url, headers, b"", AGENT_SECRET, FIXED, s3=False)
    assert "Host" in err.message


def test_both_header_and_query_auth():
    url = boto_presign("GET", "https://b.s3.amazonaws.com/k", [], Credentials(AGENT_KEY, AGENT_SECRET), "us-east-1", "s3", FIXED, 60, s3=True)
    _, _, headers, _ = _agent_request("GET", "https://b.s3.amazonaws.com/k", b"", service="s3", s3=True)
    _raises("InvalidRequest", parse_auth, "GET", url, headers)


def test_sigv4a_is_a_clear_error():
    headers = [
        ("Host", "b.s3.amazonaws.com"),
        ("X-Amz-Date", "20240506T070809Z"),
        ("X-Amz-Region-Set", "*"),
        ("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240506/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100"),
    ]
    err = _raises("InvalidRequest", parse_auth, "GET", "https://b.s3.amazonaws.com/k", headers)
    assert "SigV4a" in err.message and "not supported by the gateway yet" in err.message
    url = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKID%2F20240506%2Fs3%2Faws4_request&X-Amz-Signature=00"
    assert "not supported by the gateway yet" in _raises("InvalidRequest", parse_auth, "GET", url, []).message


def test_s3express_is_a_clear_error():
    _, url, headers, _ = _agent_request("GET", "https://bucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com/k", b"", service="s3express", s3=True)
    assert "not supported by the gateway yet" in _raises("InvalidRequest", parse_auth, "GET", url, headers).message
    _, url, headers, _ = _agent_request("GET", "https://b.s3.amazonaws.com/k", b"", service="s3", s3=True, extra=[("x-amz-s3session-token", "sess")])
    assert "S3 Express" in _raises("InvalidRequest", parse_auth, "GET", url, headers).message


def test_other_schemes_are_refused():
    for value in ["AWS AKIDEXAMPLE:c2lnbmF0dXJl", "Bearer abc.def", "AWS4-HMAC-SHA512 Credential=x"]:
        _raises("InvalidRequest", parse_auth, "GET", "https://s3.amazonaws.com/", [("Authorization", value)])


GOOD_AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "a" * 64


@pytest.mark.parametrize("value", [
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 ",
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date",
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts, SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws5_request, SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/2024-05-06/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506//sts/aws4_request, SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request, SignedHeaders=host;;x, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request SignedHeaders=host Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/sts/aws4_request, Credential=AKID/20240506/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + "a" * 64,
])
def test_malformed_authorization(value):
    _raises("IncompleteSignature", parse_auth, "GET", "https://sts.amazonaws.com/", [("X-Amz-Date", "20240506T070809Z"), ("Authorization", value)])


def test_authorization_needs_a_date():
    _raises("IncompleteSignature", parse_auth, "GET", "https://sts.amazonaws.com/", [("Authorization", GOOD_AUTH)])
    _raises("IncompleteSignature", parse_auth, "GET", "https://sts.amazonaws.com/", [("Date", "yesterday"), ("Authorization", GOOD_AUTH)])
    info = parse_auth("GET", "https://sts.amazonaws.com/", [("Date", "Mon, 06 May 2024 07:08:09 GMT"), ("Authorization", GOOD_AUTH)])
    assert info.amz_date == "20240506T070809Z"
    _raises("IncompleteSignature", parse_auth, "GET", "https://sts.amazonaws.com/", [("Authorization", GOOD_AUTH), ("authorization", GOOD_AUTH), ("X-Amz-Date", "20240506T070809Z")])


def test_date_must_match_scope_and_be_well_formed():
    info = parse_auth("GET", "https://sts.amazonaws.com/", [("X-Amz-Date", "20240507T070809Z"), ("Authorization", GOOD_AUTH)])
    _raises("SignatureDoesNotMatch", verify, info, "GET", "https://sts.amazonaws.com/", [("X-Amz-Date", "20240507T070809Z")], b"", "s", datetime.datetime(2024, 5, 7, 7, 8, 9), s3=False)
    info = parse_auth("GET", "https://sts.amazonaws.com/", [("X-Amz-Date", "2024-05-06T07:08:09Z"), ("Authorization", GOOD_AUTH)])
    _raises("IncompleteSignature", verify, info, "GET", "https://sts.amazonaws.com/", [], b"", "s", FIXED, s3=False)


def test_presigned_checks():
    creds = Credentials(AGENT_KEY, AGENT_SECRET)
    url = boto_presign("GET", "https://b.s3.amazonaws.com/k", [], creds, "us-east-1", "s3", FIXED, 60, s3=True)
    info = parse_auth("GET", url, [])
    verify(info, "GET", url, [], None, AGENT_SECRET, FIXED + datetime.timedelta(seconds=60), s3=True)
    err = _raises("AccessDenied", verify, info, "GET", url, [], None, AGENT_SECRET, FIXED + datetime.timedelta(seconds=61), s3=True)
    assert err.message == "Request has expired"
    _raises("AccessDenied", verify, info, "GET", url, [], None, AGENT_SECRET, FIXED - datetime.timedelta(minutes=16), s3=True)
    _raises("SignatureDoesNotMatch", verify, info, "GET", url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"), [], None, AGENT_SECRET, FIXED, s3=True)
    long = boto_presign("GET", "https://b.s3.amazonaws.com/k", [], creds, "us-east-1", "s3", FIXED, 604801, s3=True)
    _raises("AccessDenied", verify, parse_auth("GET", long, []), "GET", long, [], None, AGENT_SECRET, FIXED, s3=True)
    sts = boto_presign("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", [], creds, "us-east-1", "sts", FIXED, 60, s3=False)
    _raises("RequestExpired", verify, parse_auth("GET", sts, []), "GET", sts, [], None, AGENT_SECRET, FIXED + datetime.timedelta(hours=1), s3=False)
    # Missing pieces.
    _raises("IncompleteSignature", parse_auth, "GET", url.replace("&X-Amz-Signature", "&X-Amz-Nothing"), [])
    _raises("IncompleteSignature", parse_auth, "GET", url.replace("X-Amz-Expires=60", "X-Amz-Expires=soon"), [])
    _raises("IncompleteSignature", parse_auth, "GET", url + "&X-Amz-Date=20240506T070809Z", [])


def test_content_sha256_values():
    base = _agent_request("PUT", "https://b.s3.amazonaws.com/k", b"", service="s3", s3=True)
    method, url, headers, _ = base
    odd = [(k, "NOT-A-HASH") if k.lower() == "x-amz-content-sha256" else (k, v) for k, v in headers]
    _raises("InvalidArgument", verify, parse_auth(method, url, odd), method, url, odd, None, AGENT_SECRET, FIXED, s3=True)
    a4 = [(k, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD") if k.lower() == "x-amz-content-sha256" else (k, v) for k, v in headers]
    _raises("InvalidRequest", verify, parse_auth(method, url, a4), method, url, a4, None, AGENT_SECRET, FIXED, s3=True)
    # S3 header auth without x-amz-content-sha256 is refused as S3 refuses it.
    none = [(k, v) for k, v in headers if k.lower() != "x-amz-content-sha256"]
    _raises("InvalidRequest", verify, parse_auth(method, url, none), method, url, none, b"", AGENT_SECRET, FIXED, s3=True)


def test_unsigned_payload_and_streaming_literals():
    for value in ["UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"]:
        headers = [("X-Amz-Content-SHA256", value), ("Content-Encoding", "aws-chunked")]
        r = boto_sign("PUT", "https://b.s3.amazonaws.com/k", headers, b"", Credentials(AGENT_KEY, AGENT_SECRET), "us-east-1", "s3", FIXED, s3=False)
        got = items(r)
        info = parse_auth("PUT", r.url, got)
        verify(info, "PUT", r.url, got, b"whatever the body is", AGENT_SECRET, FIXED, s3=True)


def test_expect_consumed_by_the_proxy():
    """mitmproxy answers Expect: 100-continue itself and drops the header before
    the request hook; a client that signed it must still verify."""
    method, url, headers, body = _agent_request()
    r = boto_request(method, url, headers + [("Expect", "100-continue")], body)
    with frozen_time(FIXED):
        a = SigV4Auth(BotoCredentials(AGENT_KEY, AGENT_SECRET), "sts", "us-east-1")
        names = lambda request: {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"} | {"host": "sts.us-east-1.amazonaws.com"}  # noqa: E731
        def hts(request):
            h = HTTPHeaders()
            for k, v in names(request).items():
                h[k] = v
            return h

        a.headers_to_sign = hts
        a.add_auth(r)
    got = [(k, v) for k, v in items(r) if k.lower() != "expect"]
    info = parse_auth(method, url, got)
    assert "expect" in info.signed_headers
    verify(info, method, url, got, body, AGENT_SECRET, FIXED, s3=False)


def test_other_sdk_encodings_verify():
    """Oddly encoded URLs that other SDKs may send: a literal '+', lowercase
    or needless escapes, unnormalised non-S3 paths."""
    creds = Credentials(AGENT_KEY, AGENT_SECRET)
    # The client canonicalised the decoded form; the wire has a different, equivalent encoding.
    for wire, canonical_url in [
        ("https://b.s3.amazonaws.com/a%7eb%2fc?prefix=x%7e", "https://b.s3.amazonaws.com/a~b%2Fc?prefix=x~"),
        ("https://b.s3.amazonaws.com/a!b?prefix=a+b", "https://b.s3.amazonaws.com/a%21b?prefix=a%20b"),
        ("https://b.s3.amazonaws.com/k?prefix=a+b", "https://b.s3.amazonaws.com/k?prefix=a%2Bb"),
    ]:
        r = boto_sign("GET", canonical_url, [], b"", creds, "us-east-1", "s3", FIXED, s3=True)
        got = items(r)
        verify(parse_auth("GET", wire, got), "GET", wire, got, b"", AGENT_SECRET, FIXED, s3=True)
    # A non-S3 client that did not normalise the path (and did double-encode it).
    r = boto_request("GET", "https://execute-api.us-east-1.amazonaws.com/a/./b//c", [])
    with frozen_time(FIXED):
        a = SigV4Auth(boto_creds(creds), "execute-api", "us-east-1")
        a._normalize_url_path = lambda path: urllib.parse.quote(path, safe="/~")
        a.add_auth(r)
    got = items(r)
    verify(parse_auth("GET", r.url, got), "GET", r.url, got, b"", AGENT_SECRET, FIXED, s3=False)


def test_error_messages_never_hold_secrets():
    assert ERRORS, "run with the other negative tests"
    for e in ERRORS:
        for secret in (AGENT_SECRET, GATEWAY.secret_key, GATEWAY.token):
            assert secret not in str(e) and secret not in e.message and secret not in repr(e)


# --------------------------------------------------------------------------
# sign details


def test_sign_never_signs_hop_by_hop_and_rewrites_host():
    headers = [
        ("Host", "attacker.example"),
        ("Connection", "keep-alive"),
        ("Proxy-Authorization", "Basic eA=="),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "trailers"),
        ("Transfer-Encoding", "chunked"),
        ("Expect", "100-continue"),
        ("User-Agent", "agent/1.0"),
        ("X-Amzn-Trace-Id", "Root=1"),
        ("Date", "Mon, 06 May 2024 07:08:09 GMT"),
        ("X-Amz-Meta-Foo", "bar"),
        ("amz-sdk-invocation-id", "123"),
        ("Content-Type", "application/json"),
    ]
    signed = ["connection", "proxy-authorization", "te", "transfer-encoding", "expect", "user-agent", "x-amzn-trace-id", "date", "amz-sdk-invocation-id", "not-present"]
    res = sign_request("PUT", "https://B.S3.amazonaws.com:443/k", headers, sigv4.UNSIGNED_PAYLOAD, GATEWAY, "us-east-1", "s3", FIXED, s3=True, signed=signed)
    assert res.signed_headers == ("amz-sdk-invocation-id", "content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-foo", "x-amz-security-token")
    assert one(res.headers, "Host") == "b.s3.amazonaws.com"
    assert one(res.headers, "Date") == "Mon, 06 May 2024 07:08:09 GMT"
    assert one(res.headers, "Connection") == "keep-alive"
    info = parse_auth("PUT", "https://B.S3.amazonaws.com:443/k", res.headers)
    assert info.signature == res.signature
    verify(info, "PUT", "https://b.s3.amazonaws.com/k", res.headers, None, GATEWAY.secret_key, FIXED, s3=True)
    assert "signing_key" not in repr(res) or repr(res.signing_key) not in repr(res)


def test_sign_non_s3_adds_no_content_sha256_unless_present():
    out = sign("POST", "https://sts.amazonaws.com/", [], hashlib.sha256(b"").hexdigest(), GATEWAY, "us-east-1", "sts", FIXED, s3=False)
    assert one(out, "X-Amz-Content-SHA256") is None
    out = sign("POST", "https://glacier.us-east-1.amazonaws.com/", [("x-amz-content-sha256", "old")], "abc", GATEWAY, "us-east-1", "glacier", FIXED, s3=False)
    assert one(out, "X-Amz-Content-SHA256") == "abc"
    out = sign("POST", "https://sts.amazonaws.com/", [], "x", Credentials("AK", "SK"), "us-east-1", "sts", FIXED, s3=False)
    assert one(out, "X-Amz-Security-Token") is None


def test_header_dict():
    assert header_dict([("X-A", "  a   b  "), ("x-a", "c\t d"), ("Host", "h")]) == {"x-a": "a b,c d", "host": "h"}


def test_signing_key_cache_is_bounded_and_quiet():
    cache = SigningKeyCache(maxsize=3)
    keys = [cache.get(AGENT_SECRET, f"2024050{i}", "us-east-1", "s3") for i in range(5)]
    assert len(cache) == 3 and len(set(keys)) == 5
    assert cache.get(AGENT_SECRET, "20240504", "us-east-1", "s3") == keys[4]
    assert AGENT_SECRET not in repr(cache)
    # The documented derivation (AWS SigV4 examples).
    k = sigv4._derive_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert k.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_credentials_repr_hides_secrets():
    assert GATEWAY.secret_key not in repr(GATEWAY) and GATEWAY.token not in repr(GATEWAY)
    info = AuthInfo("header", "AWS4-HMAC-SHA256", "AK", "20240101", "r", "s", ("host",), "sig", "20240101T000000Z", None, "fake-token-value")
    assert "fake-token-value" not in repr(info)


def test_parse_auth_none_and_fields():
    assert parse_auth("GET", "https://s3.amazonaws.com/b?list-type=2&X-Amz-Meta=1", [("Host", "s3.amazonaws.com")]) is None
    _, url, headers, _ = _agent_request()
    info = parse_auth("POST", url, headers)
    assert (info.style, info.access_key, info.scope_date, info.region, info.service) == ("header", AGENT_KEY, "20240506", "us-east-1", "sts")
    assert info.signed_headers == ("content-type", "host", "x-amz-date")
    assert info.scope == "20240506/us-east-1/sts/aws4_request"


def test_aws_documented_get_vanilla():
    """The get-vanilla case of the AWS SigV4 test suite."""
    headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    out = sign("GET", "https://example.amazonaws.com/", headers, sigv4.EMPTY_SHA256, creds, "us-east-1", "service", datetime.datetime(2015, 8, 30, 12, 36), s3=False)
    assert one(out, "Authorization") == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_fast_and_careful_authorization_parsing_agree():
    """Every SDK's Authorization form takes a regex fast path; odd spacing the careful one."""
    headers = [("X-Amz-Date", "20240506T070809Z"), ("X-Amz-Security-Token", "t")]
    fast = parse_auth("GET", "https://sts.amazonaws.com/", headers + [("Authorization", GOOD_AUTH)])
    odd = GOOD_AUTH.replace(", ", " ,  ").replace("SignedHeaders=host;x-amz-date", "SignedHeaders=Host;X-Amz-Date")
    careful = parse_auth("GET", "https://sts.amazonaws.com/", headers + [("authorization", odd)])
    assert fast == careful == AuthInfo(
        "header", "AWS4-HMAC-SHA256", "AKID", "20240506", "us-east-1", "sts", ("host", "x-amz-date"),
        "a" * 64, "20240506T070809Z", None, "t",
    )
    assert hash(fast) == hash(careful)

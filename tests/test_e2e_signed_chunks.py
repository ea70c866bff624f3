"""A STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload built exactly as the SigV4
documentation describes (seed signature from the header, then one signature
per chunk chained from it), sent through the gateway: the object stored
upstream is byte-identical. The chunk signing here is written from the
documentation with hmac, independently of the gateway's code."""

import hashlib
import hmac
import http.client
import os
import ssl

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e import close_lab, open_lab

EMPTY = hashlib.sha256(b"").hexdigest()
STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"


class StreamingAuth(S3SigV4Auth):
    """botocore's S3 signer with the streaming payload constant as the payload hash."""

    def payload(self, request):
        return STREAMING


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    lab = open_lab(moto, tmp_path_factory.mktemp("chunks"))
    lab.client("s3").create_bucket(Bucket="chunk-bucket")
    yield lab
    close_lab(lab)


def _key(secret, date, region, service):
    k = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        k = hmac.digest(k, part.encode(), "sha256")
    return k


def signed_chunk_upload(key_id, secret, bucket, key, data, chunk=64 * 1024, tamper=False):
    host = f"{bucket}.s3.amazonaws.com"
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] + [b""]
    sig_len = len(";chunk-signature=") + 64 + 4
    length = sum(len(f"{len(c):x}") + sig_len + len(c) for c in chunks)
    req = AWSRequest("PUT", f"https://{host}/{key}", headers={
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(length),
        "x-amz-storage-class": "STANDARD",
    })
    StreamingAuth(Credentials(key_id, secret), "s3", "us-east-1").add_auth(req)
    assert req.headers["X-Amz-Content-SHA256"] == STREAMING
    seed = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = req.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    signing_key = _key(secret, amz_date[:8], "us-east-1", "s3")
    body, previous = bytearray(), seed
    for c in chunks:
        sts = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY}\n{hashlib.sha256(c).hexdigest()}"
        previous = hmac.digest(signing_key, sts.encode(), "sha256").hex()
        body += f"{len(c):x};chunk-signature={previous}\r\n".encode() + c + b"\r\n"
    assert len(body) == length
    if tamper:
        body[-200] ^= 1
    return host, "/" + key, dict(req.headers.items()), bytes(body)


def send(lab, host, path, headers, body):
    proxy = http.client.HTTPConnection("127.0.0.1", lab.gateway.port, timeout=60)
    proxy.set_tunnel(host, 443)
    ctx = ssl.create_default_context(cafile=str(lab.gateway.ca))
    proxy.sock = None
    conn = http.client.HTTPSConnection("127.0.0.1", lab.gateway.port, context=ctx, timeout=60)
    conn.set_tunnel(host, 443)
    conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    for i in range(0, len(body), 256 * 1024):
        conn.send(body[i : i + 256 * 1024])
    try:
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (ConnectionError, http.client.HTTPException) as e:
        return None, repr(e).encode()


@pytest.mark.parametrize("size", [66560, 6 * 1024 * 1024 + 7], ids=["buffered-doc-size", "streamed-6MiB"])
def test_signed_chunks_arrive_byte_identical(lab, size):
    data = b"a" * 66560 if size == 66560 else os.urandom(size)
    key = f"signed-{size}"
    status, text = send(lab, *signed_chunk_upload(lab.key, lab.secret, "chunk-bucket", key, data))
    assert status == 200, text
    stored = lab.moto.client("s3").get_object(Bucket="chunk-bucket", Key=key)["Body"].read()
    assert stored == data


@pytest.mark.parametrize("size", [66560, 6 * 1024 * 1024], ids=["buffered", "streamed"])
def test_a_tampered_chunk_never_lands(lab, size):
    key = f"tampered-{size}"
    status, text = send(lab, *signed_chunk_upload(lab.key, lab.secret, "chunk-bucket", key, os.urandom(size), tamper=True))
    assert status is not None and status >= 400
    if size < 1024 * 1024:  # buffered: the gateway itself answers, before anything is sent
        assert b"<Code>SignatureDoesNotMatch</Code>" in text
    # streamed: the upstream gets zeros in place of the rest, so it refuses the body
    objects = lab.moto.client("s3").list_objects_v2(Bucket="chunk-bucket").get("Contents", [])
    assert key not in [o["Key"] for o in objects]

"""aws-chunked bodies: the documented SigV4 streaming example, tampering,
re-signing round trips, incremental decoding, bounds, real boto3 uploads and
moto accepting a gateway re-signed upload."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import zlib

import boto3
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from addons.aws import sigv4
from addons.aws.chunked import (
    ChunkedDecoder,
    ChunkedError,
    ChunkResigner,
    ChunkSigner,
    decode_chunked,
    decoded_length,
    encode_signed_chunks,
    encode_unsigned_chunks,
    encoded_length,
    resign_chunked,
)
from addons.aws.sigv4 import (
    STREAMING_SIGNED_PAYLOAD as SIGNED,
    STREAMING_SIGNED_PAYLOAD_TRAILER as SIGNED_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER as UNSIGNED_TRAILER,
    Credentials,
    SigV4Error,
    parse_auth,
    sign_request,
    verify,
)

# The example in "Signature Calculations for the Authorization Header:
# Transferring Payload in Multiple Chunks (Chunked Upload)" (AWS SigV4 for S3).
DOC_KEY = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_DATE = "20130524T000000Z"
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"
DOC_URL = "https://s3.amazonaws.com/examplebucket/chunkObject.txt"
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGS = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]
DOC_PAYLOAD = b"a" * 66560
DOC_HEADERS = [
    ("Host", "s3.amazonaws.com"),
    ("x-amz-date", DOC_DATE),
    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
    (
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={DOC_KEY}/{DOC_SCOPE},SignedHeaders=content-encoding;content-length;"
        f"host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}",
    ),
    ("x-amz-content-sha256", SIGNED),
    ("Content-Encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "66560"),
    ("Content-Length", "66824"),
]
DOC_NOW = datetime.datetime(2013, 5, 24, 0, 1, 0, tzinfo=datetime.timezone.utc)

GATEWAY = Credentials("AKIAGATEWAY000000001", "gateway-secret/+REAL0123456789abcdefgh", "gateway-token")


def doc_key() -> bytes:
    return sigv4.signing_key(DOC_SECRET, "20130524", "us-east-1", "s3")


def doc_body() -> bytes:
    return encode_signed_chunks(DOC_PAYLOAD, DOC_SEED, doc_key(), DOC_DATE, DOC_SCOPE, chunk_size=65536)


def doc_verifier() -> ChunkSigner:
    return ChunkSigner.for_agent(parse_auth("PUT", DOC_URL, DOC_HEADERS), DOC_SECRET)


def gateway_signer(headers=DOC_HEADERS, mode=SIGNED) -> tuple[list, ChunkSigner]:
    out = sign_request(
        "PUT", DOC_URL, headers, mode, GATEWAY, "us-east-1", "s3", DOC_NOW, s3=True,
        signed=parse_auth("PUT", DOC_URL, headers).signed_headers,
    )
    return out.headers, ChunkSigner.for_request(out)


# --------------------------------------------------------------------------
# the documented example


def test_documented_seed_signature_verifies():
    auth = parse_auth("PUT", DOC_URL, DOC_HEADERS)
    assert auth.signature == DOC_SEED
    verify(auth, "PUT", DOC_URL, DOC_HEADERS, None, DOC_SECRET, DOC_NOW, s3=True)
    verify(auth, "PUT", DOC_URL, DOC_HEADERS, doc_body(), DOC_SECRET, DOC_NOW, s3=True)  # STREAMING-*: literal
    with pytest.raises(SigV4Error):
        verify(auth, "PUT", DOC_URL, DOC_HEADERS, None, DOC_SECRET.lower(), DOC_NOW, s3=True)


def test_documented_chunk_signatures():
    body = doc_body()
    assert len(body) == 66824 == encoded_length(66560, 65536)
    assert body.startswith(f"10000;chunk-signature={DOC_CHUNK_SIGS[0]}\r\n".encode() + b"a" * 65536 + b"\r\n")
    second = 88 + 65536 + 2
    assert body[second:].startswith(f"400;chunk-signature={DOC_CHUNK_SIGS[1]}\r\n".encode() + b"a" * 1024 + b"\r\n")
    assert body.endswith(f"\r\n0;chunk-signature={DOC_CHUNK_SIGS[2]}\r\n\r\n".encode())


def test_documented_body_decodes_and_verifies():
    payload, trailers = decode_chunked(doc_body(), SIGNED, verifier=doc_verifier(), decoded_length=decoded_length(DOC_HEADERS))
    assert payload == DOC_PAYLOAD and trailers == {}


@pytest.mark.parametrize("where", [100, 65536 + 200, 66000])
def test_tampered_chunk_data_is_rejected(where):
    body = bytearray(doc_body())
    body[where] = ord("b")
    with pytest.raises(ChunkedError) as e:
        decode_chunked(bytes(body), SIGNED, verifier=doc_verifier())
    assert e.value.code == "SignatureDoesNotMatch"


def test_tampered_signatures_are_rejected():
    body = doc_body()
    for sig in DOC_CHUNK_SIGS:
        bad = body.replace(sig.encode(), ("0" * 64).encode())
        with pytest.raises(ChunkedError) as e:
            decode_chunked(bad, SIGNED, verifier=doc_verifier())
        assert e.value.code == "SignatureDoesNotMatch"
    # The wrong seed (another request's signature) fails the first chunk.
    other = ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, "1" * 64)
    with pytest.raises(ChunkedError):
        decode_chunked(body, SIGNED, verifier=other)
    # Chunks re-cut at other boundaries carry other signatures.
    recut = encode_signed_chunks(DOC_PAYLOAD, "1" * 64, doc_key(), DOC_DATE, DOC_SCOPE, chunk_size=8192)
    with pytest.raises(ChunkedError):
        decode_chunked(recut, SIGNED, verifier=doc_verifier())


def test_nothing_released_before_verification():
    body = bytearray(doc_body())
    body[65536] = ord("b")  # in the first chunk
    dec = ChunkedDecoder(SIGNED, verifier=doc_verifier())
    assert dec.feed(bytes(body[:65000])) == b""
    with pytest.raises(ChunkedError):
        dec.feed(bytes(body[65000:]))


@pytest.mark.parametrize("cut", [0, 50, 100, 66000, 66824 - 2, 66824 - 1])
def test_truncated_body(cut):
    dec = ChunkedDecoder(SIGNED, verifier=doc_verifier())
    dec.feed(doc_body()[:cut])
    with pytest.raises(ChunkedError) as e:
        dec.finish()
    assert e.value.code in ("IncompleteBody", "InvalidRequest")


def test_decoded_length_enforced():
    with pytest.raises(ChunkedError) as e:
        decode_chunked(doc_body(), SIGNED, verifier=doc_verifier(), decoded_length=66561)
    assert e.value.code == "IncompleteBody"
    with pytest.raises(ChunkedError) as e:
        decode_chunked(doc_body(), SIGNED, verifier=doc_verifier(), decoded_length=100)
    assert e.value.code == "IncompleteBody"
    with pytest.raises(ChunkedError):
        decoded_length([("X-Amz-Decoded-Content-Length", "12x")])
    assert decoded_length([("Host", "h")]) is None


def test_data_after_the_end():
    with pytest.raises(ChunkedError):
        decode_chunked(doc_body() + b"x", SIGNED, verifier=doc_verifier())


def test_resign_round_trip():
    headers, signer = gateway_signer()
    out = resign_chunked(doc_body(), SIGNED, doc_verifier(), signer, decoded_length=66560)
    assert len(out) == 66824  # same framing, same Content-Length
    assert not any(sig.encode() in out for sig in DOC_CHUNK_SIGS)
    # What goes upstream verifies with the gateway's secret, header and chunks.
    gauth = parse_auth("PUT", DOC_URL, headers)
    verify(gauth, "PUT", DOC_URL, headers, None, GATEWAY.secret_key, DOC_NOW, s3=True)
    payload, _ = decode_chunked(out, SIGNED, verifier=ChunkSigner.for_agent(gauth, GATEWAY.secret_key))
    assert payload == DOC_PAYLOAD
    # ... and not with the agent's.
    with pytest.raises(ChunkedError):
        decode_chunked(out, SIGNED, verifier=doc_verifier())


def test_resigner_refuses_tampered_input():
    _, signer = gateway_signer()
    body = bytearray(doc_body())
    body[100] = ord("z")
    with pytest.raises(ChunkedError):
        resign_chunked(bytes(body), SIGNED, doc_verifier(), signer)
    with pytest.raises(ValueError):
        ChunkResigner(UNSIGNED_TRAILER, None, signer)
    with pytest.raises(ValueError):
        ChunkResigner(SIGNED, None, signer)  # no verifier and not explicitly unverified


def test_signed_mode_needs_a_verifier():
    with pytest.raises(ValueError):
        ChunkedDecoder(SIGNED)
    payload, _ = decode_chunked(doc_body(), SIGNED, unverified=True)
    assert payload == DOC_PAYLOAD


# --------------------------------------------------------------------------
# trailers


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_signed_trailer_round_trip():
    payload = os.urandom(70000)
    trailers = {"x-amz-checksum-crc32": crc32_b64(payload)}
    body = encode_signed_chunks(payload, DOC_SEED, doc_key(), DOC_DATE, DOC_SCOPE, trailers=trailers)
    assert len(body) == encoded_length(len(payload), trailers=trailers)
    assert body.endswith(b"\r\nx-amz-checksum-crc32:" + trailers["x-amz-checksum-crc32"].encode() + b"\r\nx-amz-trailer-signature:" + body[-68:-4] + b"\r\n\r\n")
    got, got_trailers = decode_chunked(body, SIGNED_TRAILER, verifier=doc_verifier(), declared_trailers="x-amz-checksum-crc32", decoded_length=70000)
    assert got == payload and got_trailers == trailers

    # Tampered trailer value, missing signature, wrong signature, undeclared trailer.
    bad_value = body.replace(trailers["x-amz-checksum-crc32"].encode(), b"AAAAAA==")
    missing_sig = body[: body.index(b"x-amz-trailer-signature")] + b"\r\n"
    wrong_sig = body[:-68] + b"0" * 64 + b"\r\n\r\n"
    for bad, code in [(bad_value, "SignatureDoesNotMatch"), (missing_sig, "InvalidRequest"), (wrong_sig, "SignatureDoesNotMatch")]:
        with pytest.raises(ChunkedError) as e:
            decode_chunked(bad, SIGNED_TRAILER, verifier=doc_verifier())
        assert e.value.code == code
    with pytest.raises(ChunkedError):
        decode_chunked(body, SIGNED_TRAILER, verifier=doc_verifier(), declared_trailers="x-amz-checksum-sha256")
    # Trailers are refused in the plain signed mode.
    with pytest.raises(ChunkedError):
        decode_chunked(body, SIGNED, verifier=doc_verifier())

    # Re-signed for the gateway: same length, verifies with the gateway's chain.
    headers = [(k, SIGNED_TRAILER if k == "x-amz-content-sha256" else v) for k, v in DOC_HEADERS]
    gheaders, signer = gateway_signer(headers, SIGNED_TRAILER)
    agent = ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_SEED)
    out = resign_chunked(body, SIGNED_TRAILER, agent, signer)
    assert len(out) == len(body) and out != body
    gauth = parse_auth("PUT", DOC_URL, gheaders)
    got, got_trailers = decode_chunked(out, SIGNED_TRAILER, verifier=ChunkSigner.for_agent(gauth, GATEWAY.secret_key))
    assert got == payload and got_trailers == trailers


def test_trailer_string_to_sign():
    """The trailer signature, computed by hand from the documented recipe."""
    import hmac

    signer = ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_CHUNK_SIGS[2])
    canonical = "x-amz-checksum-crc32c:sOO8/Q==\n"
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", DOC_DATE, DOC_SCOPE, DOC_CHUNK_SIGS[2], hashlib.sha256(canonical.encode()).hexdigest()])
    assert signer.trailer([("x-amz-checksum-crc32c", "sOO8/Q==")]) == hmac.new(doc_key(), sts.encode(), hashlib.sha256).hexdigest()


def test_unsigned_trailer():
    payload = b"hello, world\n" * 1000
    trailers = [("x-amz-checksum-crc32", crc32_b64(payload))]
    body = encode_unsigned_chunks(payload, chunk_size=4096, trailers=trailers)
    assert len(body) == encoded_length(len(payload), 4096, signed=False, trailers=trailers)
    got, got_trailers = decode_chunked(body, UNSIGNED_TRAILER, decoded_length=len(payload), declared_trailers="x-amz-checksum-crc32")
    assert got == payload and got_trailers == dict(trailers)
    # No trailers at all; a body must end with the blank line.
    assert decode_chunked(b"3\r\nabc\r\n0\r\n\r\n", UNSIGNED_TRAILER) == (b"abc", {})
    with pytest.raises(ChunkedError):
        decode_chunked(b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", UNSIGNED_TRAILER)
    # Chunk signatures do not belong here, nor trailer signatures.
    with pytest.raises(ChunkedError):
        decode_chunked(b"3;chunk-signature=" + b"0" * 64 + b"\r\nabc\r\n0\r\n\r\n", UNSIGNED_TRAILER)
    with pytest.raises(ChunkedError):
        decode_chunked(b"0\r\nx-amz-trailer-signature:" + b"0" * 64 + b"\r\n\r\n", UNSIGNED_TRAILER)


@pytest.fixture
def clean_aws_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_") and k != "AWS_DATA_PATH":
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


class Captured(Exception):
    pass


@pytest.mark.parametrize("algorithm", [None, "CRC32", "SHA256", "SHA1"])
@pytest.mark.parametrize("size", [0, 5, 3 * 1024 * 1024 + 7])
def test_real_boto3_put_object_body(clean_aws_env, algorithm, size):
    """boto3's PutObject today: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a checksum trailer."""
    client = boto3.session.Session(aws_access_key_id="AKIDAGENT", aws_secret_access_key="agent-secret", region_name="us-east-1").client("s3", config=Config(retries={"total_max_attempts": 1}))
    seen = []

    def grab(request, **kwargs):
        seen.append(request)
        raise Captured()

    client.meta.events.register("before-send", grab)
    payload = os.urandom(size)
    params = {"Bucket": "b", "Key": "k", "Body": payload}
    if algorithm:
        params["ChecksumAlgorithm"] = algorithm
    with pytest.raises(Captured):
        client.put_object(**params)
    req = seen[0]
    headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()]
    body = req.body.read() if hasattr(req.body, "read") else req.body
    mode = dict((k.lower(), v) for k, v in headers)["x-amz-content-sha256"]
    assert mode == UNSIGNED_TRAILER
    auth = parse_auth(req.method, req.url, headers)
    verify(auth, req.method, req.url, headers, body, "agent-secret", datetime.datetime.now(datetime.timezone.utc), s3=True)
    declared = dict((k.lower(), v) for k, v in headers)["x-amz-trailer"]
    # Fed in odd pieces, as a streamed request would arrive.
    dec = ChunkedDecoder(mode, decoded_length=decoded_length(headers), declared_trailers=declared)
    parts = [dec.feed(body[i : i + 7777]) for i in range(0, len(body), 7777)]
    trailers = dec.finish()
    assert b"".join(parts) == payload
    name = f"x-amz-checksum-{(algorithm or 'CRC32').lower()}"
    assert list(trailers) == [name] == [declared]
    if name == "x-amz-checksum-crc32":
        assert trailers[name] == crc32_b64(payload)
    elif name == "x-amz-checksum-sha256":
        assert trailers[name] == base64.b64encode(hashlib.sha256(payload).digest()).decode()


# --------------------------------------------------------------------------
# incremental decoding


@settings(max_examples=200, deadline=None)
@given(
    payload=st.binary(max_size=3000),
    chunk=st.integers(1, 700),
    mode=st.sampled_from([SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER]),
    cuts=st.lists(st.integers(0, 4000), max_size=12),
    with_trailer=st.booleans(),
)
def test_incremental_equals_whole(payload, chunk, mode, cuts, with_trailer):
    trailers = {"x-amz-checksum-crc32": crc32_b64(payload)} if with_trailer and mode != SIGNED else None
    if mode == UNSIGNED_TRAILER:
        body = encode_unsigned_chunks(payload, chunk, trailers)
        kw = {}
    else:
        body = encode_signed_chunks(payload, DOC_SEED, doc_key(), DOC_DATE, DOC_SCOPE, chunk, trailers)
        kw = {"verifier": ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_SEED)}
    assert len(body) == encoded_length(len(payload), chunk, signed=mode != UNSIGNED_TRAILER, trailers=trailers)
    bounds = sorted({c for c in cuts if c < len(body)} | {0, len(body)})
    dec = ChunkedDecoder(mode, decoded_length=len(payload), **kw)
    out = b"".join(dec.feed(body[a:b]) for a, b in zip(bounds, bounds[1:]))
    assert out == payload and dec.finish() == (trailers or {})
    assert dec.decoded == len(payload)

    if mode != UNSIGNED_TRAILER:
        # The re-signer, fed the same pieces, gives the same bytes as in one go.
        def signer():
            return ChunkSigner(b"k" * 32, DOC_DATE, DOC_SCOPE, "2" * 64)

        whole = resign_chunked(body, mode, ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_SEED), signer())
        r = ChunkResigner(mode, ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_SEED), signer())
        pieces = b"".join(r.feed(body[a:b]) for a, b in zip(bounds, bounds[1:])) + r.finish()
        assert pieces == whole and len(whole) == len(body)
        assert decode_chunked(whole, mode, verifier=signer())[0] == payload


# --------------------------------------------------------------------------
# bounds and framing errors


def test_bounds():
    dec = ChunkedDecoder(UNSIGNED_TRAILER, max_line=64)
    with pytest.raises(ChunkedError):
        dec.feed(b"1" * 100)  # no CRLF within the line limit
    with pytest.raises(ChunkedError):
        ChunkedDecoder(UNSIGNED_TRAILER, max_chunk_size=1024).feed(b"401\r\n")
    with pytest.raises(ChunkedError):
        ChunkedDecoder(UNSIGNED_TRAILER).feed(b"fffffffffffffffff\r\n")  # 17 hex digits
    big_trailers = b"0\r\n" + b"".join(b"x-amz-meta-%d:%s\r\n" % (i, b"v" * 1000) for i in range(40))
    with pytest.raises(ChunkedError):
        ChunkedDecoder(UNSIGNED_TRAILER).feed(big_trailers)
    # A large chunk is streamed through, not held, in unsigned mode.
    dec = ChunkedDecoder(UNSIGNED_TRAILER)
    assert dec.feed(b"100000\r\n" + b"z" * 1000) == b"z" * 1000
    assert len(dec._buf) == 0


@pytest.mark.parametrize("body", [
    b"xyz\r\n",
    b"3\r\nabcd\r\n0\r\n\r\n",
    b"3\r\nab",
    b"-1\r\n",
    b"3 ;\r\nabc\r\n0\r\n\r\n" + b"junk",
    b"0\r\nnocolon\r\n\r\n",
    b"0\r\n:novalue\r\n\r\n",
    b"0\r\nx-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n\r\n",
])
def test_framing_errors(body):
    with pytest.raises(ChunkedError):
        decode_chunked(body, UNSIGNED_TRAILER)


def test_signed_framing_errors():
    v = ChunkSigner(doc_key(), DOC_DATE, DOC_SCOPE, DOC_SEED)
    for body in [
        b"3\r\nabc\r\n0\r\n\r\n",  # no chunk-signature
        b"3;chunk-signature=xyz\r\nabc\r\n",  # malformed
        b"3;chunk-signature=" + b"A" * 64 + b"\r\nabc\r\n",  # uppercase hex
    ]:
        with pytest.raises(ChunkedError):
            decode_chunked(body, SIGNED, verifier=v)
    with pytest.raises(ValueError):
        ChunkedDecoder("UNSIGNED-PAYLOAD")


def test_errors_are_sigv4_errors_and_reprs_are_quiet():
    assert issubclass(ChunkedError, SigV4Error)
    assert "k" * 32 not in repr(ChunkSigner(b"k" * 32, DOC_DATE, DOC_SCOPE, DOC_SEED))


# --------------------------------------------------------------------------
# moto accepts a re-signed streaming upload


def test_moto_accepts_resigned_streaming_upload(moto):
    import http.client

    moto.set_auth(True)
    creds = Credentials(moto.access_key, moto.secret_key)
    now = datetime.datetime.now(datetime.timezone.utc)
    bucket_url = "https://s3.amazonaws.com/chaperone-chunked-test"

    def send(method, url, headers, body=b""):
        conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=10)
        conn.putrequest(method, url.split("amazonaws.com", 1)[1], skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.read()

    empty = hashlib.sha256(b"").hexdigest()
    status, data = send("PUT", bucket_url, sign("PUT", bucket_url, [("Host", "s3.amazonaws.com")], empty, creds, now))
    assert status == 200, data

    # The agent's signed streaming upload, verified and re-signed for moto.
    agent = Credentials("AKIDAGENT", "agent-secret")
    url = bucket_url + "/streamed%20object"
    payload = os.urandom(150_000)
    base = [("Host", "s3.amazonaws.com"), ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", str(len(payload)))]
    a = sign_request("PUT", url, base, SIGNED, agent, "us-east-1", "s3", now, s3=True, signed=["content-encoding"])
    agent_body = encode_signed_chunks(payload, a.signature, a.signing_key, a.amz_date, a.scope)
    auth = parse_auth("PUT", url, a.headers)
    verify(auth, "PUT", url, a.headers, None, agent.secret_key, now, s3=True)
    g = sign_request("PUT", url, a.headers, SIGNED, creds, auth.region, auth.service, now, s3=True, signed=auth.signed_headers)
    body = resign_chunked(agent_body, SIGNED, ChunkSigner.for_agent(auth, agent.secret_key), ChunkSigner.for_request(g), decoded_length=len(payload))
    status, data = send("PUT", url, g.headers, body)
    assert status == 200, data
    status, data = send("GET", url, sign("GET", url, [("Host", "s3.amazonaws.com")], empty, creds, now))
    assert status == 200 and data == payload


def sign(method, url, headers, payload_hash, creds, now):
    return sigv4.sign(method, url, headers, payload_hash, creds, "us-east-1", "s3", now, s3=True)

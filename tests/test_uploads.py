"""Stream functions for uploads: a body that fails its check never arrives whole."""

import hashlib

from addons.aws.uploads import HashCheck


def run(stream, chunks):
    return b"".join(stream(c) for c in chunks) + stream(b"")


def test_hash_check_passes_a_matching_body_unchanged():
    body = b"x" * 100_000
    failures = []
    out = run(HashCheck(hashlib.sha256(body).hexdigest(), failures.append), [body[:30_000], body[30_000:]])
    assert out == body and not failures


def test_hash_check_replaces_a_mismatching_body_and_says_why():
    body = b"y" * 1000
    failures = []
    stream = HashCheck(hashlib.sha256(b"other").hexdigest(), failures.append)
    out = run(stream, [body[:500], body[500:]])
    assert len(out) == len(body)  # the declared length still holds, so the upstream answers
    assert out != body and out.endswith(b"\0")
    assert failures[0].code == "XAmzContentSHA256Mismatch"

"""The approvals store: joining, deciding, expiring, who may decide."""

import pytest

from addons.approval.store import APPROVED, DENIED, EXPIRED, Approval, ApprovalError, MemoryStore, fingerprint


def make(fp, now, timeout=60, approvers=(), mode="hold"):
    def build(approval_id):
        return Approval(id=approval_id, fingerprint=fp, agent="a", service="s3", operation="DeleteBucket",
                        region="us-east-1", params={"Bucket": "b"}, rule="r", message="m", mode=mode,
                        approvers=list(approvers), created=now, expires=now + timeout)
    return build


def test_identical_calls_join_and_differ_by_body():
    fp = fingerprint("a", "s3", "PutObject", {"Bucket": "b", "Key": "k"}, "digest-1")
    assert fp == fingerprint("a", "s3", "PutObject", {"Key": "k", "Bucket": "b"}, "digest-1")
    assert fp != fingerprint("a", "s3", "PutObject", {"Bucket": "b", "Key": "k"}, "digest-2")
    assert fp != fingerprint("other", "s3", "PutObject", {"Bucket": "b", "Key": "k"}, "digest-1")
    store = MemoryStore()
    first, created = store.open(fp, make(fp, 0), 0)
    again, created_again = store.open(fp, make(fp, 1), 1)
    assert created and not created_again and again is first and first.flows == 2


def test_approval_admits_identical_retries_within_the_window():
    store = MemoryStore(retry_window=300)
    approval, _ = store.open("fp", make("fp", 0), 0)
    store.decide(approval.id, True, "alice", "ok", 10)
    assert approval.status == APPROVED and approval.decided_by == "alice"
    assert store.approved("fp", 200) is approval
    assert store.approved("fp", 311) is None
    assert store.approved("other", 200) is None
    with pytest.raises(ApprovalError, match="already approved"):
        store.decide(approval.id, False, "bob", None, 20)


def test_only_named_approvers_and_expiry():
    store = MemoryStore()
    approval, _ = store.open("fp", make("fp", 0, approvers=["bob"]), 0)
    with pytest.raises(ApprovalError, match="may not decide"):
        store.decide(approval.id, True, "alice", None, 1)
    store.decide(approval.id, False, "bob", "no", 1)
    assert approval.status == DENIED and store.approved("fp", 2) is None
    late, _ = store.open("fp2", make("fp2", 0, timeout=5), 0)
    assert store.pending(3) == [late]
    assert store.pending(6) == [] and late.status == EXPIRED
    with pytest.raises(ApprovalError, match="no approval"):
        store.decide("apr-nope", True, "bob", None, 7)

"""Pending and decided approvals.

The pipeline talks to a `Store`; `MemoryStore` keeps everything in this
process. A shared store (Redis, say) can implement the same interface so that
several gateways behind a load balancer see one set of approvals.

An approval is keyed by the call's fingerprint (agent, service, operation,
parameters), so an SDK's retry of a held call joins the approval that is
already open instead of opening another, and once approved an identical
call within the approval's lifetime goes through.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

PENDING, APPROVED, DENIED, EXPIRED = "pending", "approved", "denied", "expired"
MAX_PENDING = 10_000


def fingerprint(agent: str | None, service: str, operation: str | None, params: dict, body: str = "") -> str:
    """The identity of a call for approvals: same agent, operation, parameters
    and body (`body` is a digest of it; an upload's payload is no parameter)."""
    text = json.dumps([agent, service, operation, params, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Approval:
    id: str
    fingerprint: str
    agent: str | None
    service: str
    operation: str | None
    region: str
    params: dict[str, Any]
    rule: str | None
    message: str
    mode: str  # hold | queue
    approvers: list[str]
    created: float
    expires: float  # a pending approval times out then; an approved one stops admitting retries
    status: str = PENDING
    decided_by: str | None = None
    decided_at: float | None = None
    reason: str | None = None
    flows: int = 1  # flows that have asked for it (the original and its retries)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


class ApprovalError(Exception):
    pass


class Store(Protocol):
    def open(self, fp: str, make: Any, now: float) -> tuple[Approval, bool]: ...
    def get(self, approval_id: str) -> Approval | None: ...
    def approved(self, fp: str, now: float) -> Approval | None: ...
    def decide(self, approval_id: str, approve: bool, by: str, reason: str | None, now: float) -> Approval: ...
    def expire(self, approval_id: str, now: float) -> Approval | None: ...
    def pending(self, now: float) -> list[Approval]: ...


class MemoryStore:
    """Approvals held in this process."""

    def __init__(self, retry_window: float = 300.0):
        self.retry_window = retry_window
        self._by_id: dict[str, Approval] = {}
        self._open_by_fp: dict[str, str] = {}  # pending approvals
        self._granted_by_fp: dict[str, str] = {}  # approved, still admitting retries

    def open(self, fp: str, make, now: float) -> tuple[Approval, bool]:
        """The pending approval for this fingerprint, joined (False) or created by `make(id)` (True)."""
        self._sweep(now)
        existing = self._open_by_fp.get(fp)
        if existing is not None:
            approval = self._by_id[existing]
            approval.flows += 1
            return approval, False
        if len(self._open_by_fp) >= MAX_PENDING:
            raise ApprovalError(f"too many pending approvals ({MAX_PENDING}); decide some first")
        approval = make("apr-" + secrets.token_hex(5))
        self._by_id[approval.id] = approval
        self._open_by_fp[fp] = approval.id
        return approval, True

    def get(self, approval_id: str) -> Approval | None:
        return self._by_id.get(approval_id)

    def approved(self, fp: str, now: float) -> Approval | None:
        """An approval that still admits this identical call."""
        approval_id = self._granted_by_fp.get(fp)
        approval = self._by_id.get(approval_id) if approval_id else None
        if approval is None or approval.expires < now:
            return None
        return approval

    def decide(self, approval_id: str, approve: bool, by: str, reason: str | None, now: float) -> Approval:
        approval = self._by_id.get(approval_id)
        if approval is None:
            raise ApprovalError(f"no approval {approval_id!r}")
        if approval.status != PENDING:
            raise ApprovalError(f"approval {approval_id} is already {approval.status}")
        if approval.approvers and by not in approval.approvers:
            raise ApprovalError(f"{by} may not decide approval {approval_id} (approvers: {', '.join(approval.approvers)})")
        approval.status = APPROVED if approve else DENIED
        approval.decided_by, approval.decided_at, approval.reason = by, now, reason
        self._open_by_fp.pop(approval.fingerprint, None)
        if approve:
            approval.expires = now + max(self.retry_window, approval.expires - approval.created if approval.mode == "queue" else 0)
            self._granted_by_fp[approval.fingerprint] = approval.id
        return approval

    def expire(self, approval_id: str, now: float) -> Approval | None:
        """Time a pending approval out (a hold that nobody decided)."""
        approval = self._by_id.get(approval_id)
        if approval is None or approval.status != PENDING:
            return approval
        approval.status, approval.decided_at = EXPIRED, now
        approval.reason = "nobody decided before the approval timed out"
        self._open_by_fp.pop(approval.fingerprint, None)
        return approval

    def pending(self, now: float) -> list[Approval]:
        self._sweep(now)
        return sorted((self._by_id[i] for i in self._open_by_fp.values()), key=lambda a: a.created)

    def _sweep(self, now: float) -> None:
        for fp, approval_id in list(self._open_by_fp.items()):
            approval = self._by_id[approval_id]
            if approval.expires < now:
                self.expire(approval_id, now)
        for fp, approval_id in list(self._granted_by_fp.items()):
            if self._by_id[approval_id].expires < now:
                del self._granted_by_fp[fp]
        # Keep decided approvals for a day so `show`/audit can name them, then forget them.
        for approval_id, approval in list(self._by_id.items()):
            if approval.status != PENDING and (approval.decided_at or 0) < now - 86400:
                del self._by_id[approval_id]


def now() -> float:
    return time.time()

#!/usr/bin/env python3
"""Do hundreds of held calls slow the rest? Holds N calls for approval (each a
distinct SSM DeleteParameter, so N approvals), then measures allowed calls'
latency, and compares with the same measurement before any hold."""

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from addons import lab  # noqa: E402
from addons.config.agents import add_agent  # noqa: E402
from addons.config.approvers import add_approver  # noqa: E402
from tests.harness import agent_client  # noqa: E402

HELD = int(os.environ.get("BENCH_HELD", "200"))
RULES = """
version: 1
rules:
  - id: allow-all
    match: {}
    action: allow
  - id: hold-parameter-deletes
    match: {services: [ssm], operations: [DeleteParameter]}
    action: approve
    approval: {timeout: 600}
"""


def latencies(client, n=200):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        client.list_tables()
        out.append((time.perf_counter() - t) * 1000)
    return sorted(out)


def show(label, xs):
    print(f"{label:28} p50={statistics.median(xs):6.2f} ms  p99={xs[int(len(xs) * .99) - 1]:6.2f} ms")


def control(gw, token, method, path, body=None):
    req = urllib.request.Request(gw.control + path, json.dumps(body).encode() if body else None, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="chaperone-held-"))
    (work / "rules.yaml").write_text(RULES)
    moto = lab.start_moto(work)
    key, secret = add_agent(work / "agents.yaml", "bench")
    token = add_approver(work / "approvers.yaml", "bench-approver")
    gw = lab.start_gateway(work, moto.url, lab.gateway_env(moto), {
        "chaperone_agents": str(work / "agents.yaml"), "chaperone_rules": str(work / "rules.yaml"),
        "chaperone_approvers": str(work / "approvers.yaml")})
    try:
        ddb = agent_client(gw, "dynamodb", key, secret)
        latencies(ddb, 50)
        before = latencies(ddb)
        threads = []
        for i in range(HELD):
            client = agent_client(gw, "ssm", key, secret, read_timeout=900)
            t = threading.Thread(target=lambda c=client, i=i: _quiet(c.delete_parameter, Name=f"/held/{i}"), daemon=True)
            t.start()
            threads.append(t)
        deadline = time.monotonic() + 120
        while len(control(gw, token, "GET", "/approvals")["approvals"]) < HELD and time.monotonic() < deadline:
            time.sleep(0.5)
        pending = control(gw, token, "GET", "/approvals")["approvals"]
        during = latencies(ddb)
        show("allowed calls, nothing held", before)
        show(f"with {len(pending)} calls held", during)
        print(f"p50 ratio                    {statistics.median(during) / statistics.median(before):.2f}x")
        for a in pending:
            control(gw, token, "POST", f"/approvals/{a['id']}/deny", {"reason": "benchmark over"})
        for t in threads:
            t.join(30)
    finally:
        lab.stop(gw.proc)
        lab.stop(moto.proc)
    return 0


def _quiet(fn, **kw):
    try:
        fn(**kw)
    except Exception:  # noqa: BLE001 - every held call ends denied
        pass


if __name__ == "__main__":
    sys.exit(main())

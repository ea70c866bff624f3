#!/usr/bin/env python3
"""How a 100 MB upload through the gateway affects other flows' latency.

Starts moto (signature checks on) and the gateway, measures small calls
(DynamoDB ListTables) alone, then again while an agent uploads 100 MB to S3
in one PutObject (streamed through the gateway), and prints both.
"""

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from addons import lab  # noqa: E402
from addons.config.agents import add_agent  # noqa: E402
from tests.harness import agent_client  # noqa: E402

SIZE = int(os.environ.get("BENCH_UPLOAD_MB", "100")) * 1024 * 1024


def latencies(client, seconds: float, stop: threading.Event | None = None) -> list[float]:
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        t = time.perf_counter()
        client.list_tables()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"n={len(xs):4d}  p50={statistics.median(xs):6.2f} ms  p99={xs[int(len(xs) * 0.99) - 1]:7.2f} ms  max={xs[-1]:7.2f} ms"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="chaperone-bench-"))
    moto = lab.start_moto(work)
    agents = work / "agents.yaml"
    key, secret = add_agent(agents, "bench")
    gw = lab.start_gateway(work, moto.url, lab.gateway_env(moto), {"chaperone_agents": str(agents)})
    try:
        ddb = agent_client(gw, "dynamodb", key, secret)
        s3 = agent_client(gw, "s3", key, secret)
        s3.create_bucket(Bucket="bench")
        latencies(ddb, 1.0)  # warm-up
        alone = latencies(ddb, 5.0)
        body = os.urandom(SIZE)
        done = threading.Event()
        upload_time = []

        def upload():
            t = time.perf_counter()
            s3.put_object(Bucket="bench", Key="big", Body=body)
            upload_time.append(time.perf_counter() - t)
            done.set()

        th = threading.Thread(target=upload)
        th.start()
        during = latencies(ddb, 120.0, done)
        th.join()
        print(f"small calls alone          : {summary(alone)}")
        print(f"during a {SIZE >> 20} MB upload     : {summary(during)}")
        print(f"p50 ratio during/alone     : {statistics.median(during) / statistics.median(alone):.2f}x")
        print(f"upload took {upload_time[0]:.2f} s ({SIZE / upload_time[0] / 1e6:.1f} MB/s through gateway and moto)")
        rss = int(next(line.split()[1] for line in open(f"/proc/{gw.proc.pid}/status") if line.startswith("VmHWM")))
        print(f"gateway peak RSS           : {rss / 1024:.0f} MB (the upload streams, so it is not held in memory)")
    finally:
        lab.stop(gw.proc)
        lab.stop(moto.proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

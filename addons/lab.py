"""A local lab: a moto server as the AWS stand-in and a gateway in front of it,
as real subprocesses on loopback. The demo and the end-to-end tests use it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Moto:
    port: int
    proc: subprocess.Popen
    log: Path
    access_key: str = ""
    secret_key: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_auth(self, on: bool) -> None:
        """Signature checks on (every request signed by a moto IAM key) or off."""
        req = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth", b"0" if on else b"inf", method="POST",
            headers={"Content-Type": "text/plain"},  # a form type would hide the body from moto
        )
        urllib.request.urlopen(req, timeout=10).read()

    def client(self, service: str, region: str = "us-east-1", key: str | None = None, secret: str | None = None):
        """A client straight to moto, not through the gateway."""
        import botocore.session

        return botocore.session.get_session().create_client(
            service, region_name=region, endpoint_url=self.url,
            aws_access_key_id=key or self.access_key or "testing",
            aws_secret_access_key=secret or self.secret_key or "testing",
        )


def start_moto(workdir: Path, auth: bool = True) -> Moto:
    """A moto server with an admin IAM user for the gateway, signature checks on."""
    port = free_port()
    log = workdir / "moto.log"
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=dict(os.environ, MOTO_PORT=str(port)),
    )
    wait_port(port, proc, log)
    moto = Moto(port, proc, log)
    iam = moto.client("iam")
    iam.create_user(UserName="chaperone-gateway")
    iam.put_user_policy(
        UserName="chaperone-gateway", PolicyName="admin",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="chaperone-gateway")["AccessKey"]
    moto.access_key, moto.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
    if auth:
        moto.set_auth(True)
    return moto


@dataclass
class Gateway:
    port: int
    proc: subprocess.Popen
    confdir: Path
    dump: Path
    log: Path
    options: dict[str, str]

    @property
    def control(self) -> str:
        return "http://" + self.options["chaperone_control"]

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca(self) -> Path:
        return self.confdir / "mitmproxy-ca-cert.pem"

    def agent_env(self, key: str, secret: str, region: str = "us-east-1") -> dict[str, str]:
        """The environment of an agent container: fake keys, the proxy, the gateway CA."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=region,
            HTTPS_PROXY=self.proxy, https_proxy=self.proxy, NO_PROXY="", no_proxy="",
            AWS_CA_BUNDLE=str(self.ca), AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="1",
        )
        return env

    def flows(self):
        """The flows the gateway saved (stops it first, so the dump is complete)."""
        from mitmproxy.io import FlowReader

        stop(self.proc)
        with self.dump.open("rb") as f:
            return list(FlowReader(f).stream())


def gateway_env(moto: Moto) -> dict[str, str]:
    """The gateway's own environment: the credentials only it holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k.lower() not in ("https_proxy", "http_proxy")}
    env.update(
        AWS_ACCESS_KEY_ID=moto.access_key, AWS_SECRET_ACCESS_KEY=moto.secret_key,
        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def start_gateway(
    workdir: Path, upstream: str | None, env: dict[str, str], options: dict[str, str] | None = None,
    tool: str = "mitmdump",
) -> Gateway:
    """The suite in `tool` (mitmdump, or mitmweb with its web_* options)."""
    port = free_port()
    confdir = workdir / "certs"
    confdir.mkdir(exist_ok=True)
    dump = workdir / "flows.mitm"
    log = workdir / "gateway.log"
    args = [
        str(BIN / tool), "-s", str(REPO / "addons" / "suite.py"),
        "--listen-host", "127.0.0.1", "-p", str(port),
        "--set", f"confdir={confdir}", "--set", f"save_stream_file={dump}",
    ]
    if upstream:
        args += ["--set", f"chaperone_upstream={upstream}"]
    options = {"chaperone_control": f"127.0.0.1:{free_port()}", **(options or {})}
    for name, value in options.items():
        args += ["--set", f"{name}={value}"]
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir, env=env)
    wait_port(port, proc, log)
    return Gateway(port, proc, confdir, dump, log, options)

"""`chaperone demo`: moto as the embedded AWS, the gateway in front of it, and a
scripted agent with fake credentials; then a table of what the gateway saw."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import lab
from .aws import models
from .config.agents import add_agent
from .config.approvers import add_approver

console = Console(width=None if Console().is_terminal else 150)


def _agent_script(clients) -> None:
    """What the scripted agent does: explore, build, then try something harmful."""
    steps = [
        ("sts", "get_caller_identity", {}),
        ("s3", "create_bucket", {"Bucket": "demo-reports"}),
        ("s3", "put_object", {"Bucket": "demo-reports", "Key": "q3/summary.txt", "Body": b"revenue up"}),
        ("s3", "list_objects_v2", {"Bucket": "demo-reports", "Prefix": "q3/"}),
        ("s3", "get_object", {"Bucket": "demo-reports", "Key": "q3/summary.txt"}),
        ("dynamodb", "create_table", {
            "TableName": "demo-orders", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        }),
        ("dynamodb", "put_item", {"TableName": "demo-orders", "Item": {"id": {"S": "o-1"}, "total": {"N": "42"}}}),
        ("dynamodb", "get_item", {"TableName": "demo-orders", "Key": {"id": {"S": "o-1"}}}),
        ("sqs", "create_queue", {"QueueName": "demo-jobs"}),
        ("ec2", "describe_instances", {}),
        ("iam", "list_users", {}),
        ("cloudwatch", "put_metric_data", {"Namespace": "Demo", "MetricData": [{"MetricName": "calls", "Value": 1.0}]}),
        ("secretsmanager", "create_secret", {"Name": "demo/db-password", "SecretString": "hunter2"}),
        ("secretsmanager", "get_secret_value", {"SecretId": "demo/db-password"}),  # held: a person approves
        ("iam", "create_access_key", {"UserName": "nobody"}),  # minting credentials: denied
        ("s3", "delete_bucket", {"Bucket": "demo-reports"}),  # destroying data: denied
    ]
    for service, method, params in steps:
        try:
            result = getattr(clients(service), method)(**params)
            status = str(result["ResponseMetadata"]["HTTPStatusCode"])
        except Exception as e:  # noqa: BLE001 - the demo shows what the agent saw
            status = getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__
        console.print(f"  agent: {service}.{method} -> {status}")


def run_demo(keep: bool = False) -> int:
    work = Path(tempfile.mkdtemp(prefix="chaperone-demo-"))
    moto = gateway = None
    try:
        console.print("[bold]Starting moto (the embedded AWS) with signature checks on...[/]")
        moto = lab.start_moto(work)
        agents = work / "agents.yaml"
        key, secret = add_agent(agents, "demo-agent")
        approvers = work / "approvers.yaml"
        token = add_approver(approvers, "demo-approver")
        options = {
            "chaperone_agents": str(agents),
            "chaperone_approvers": str(approvers),
            "chaperone_rules": str(lab.REPO / "rules" / "default.yaml"),
            "chaperone_recordings": str(work / "recordings"),
        }
        console.print("[bold]Starting the gateway (mitmdump with the chaperone suite)...[/]")
        gateway = lab.start_gateway(work, moto.url, lab.gateway_env(moto), options)
        console.print(f"[bold]Running the scripted agent[/] (fake key {key}, HTTPS_PROXY={gateway.proxy})")
        stop = threading.Event()
        approver = threading.Thread(target=_approver, args=(gateway, token, stop), daemon=True)
        approver.start()
        try:
            _run_agent(gateway, key, secret)
        finally:
            stop.set()
        flows = gateway.flows()
        console.print(_table(flows))
        return 0
    finally:
        for proc in (gateway, moto):
            if proc is not None:
                lab.stop(proc.proc)
        if keep:
            console.print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _approver(gateway: lab.Gateway, token: str, stop: threading.Event) -> None:
    """A person at `chaperone approvals`: approves each held call after a moment."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while not stop.wait(0.5):
        try:
            req = urllib.request.Request(gateway.control + "/approvals", headers=headers)
            pending = json.loads(urllib.request.urlopen(req, timeout=5).read())["approvals"]
            for a in pending:
                console.print(f"  approver: {a['agent']} wants {a['service']}:{a['operation']} (rule {a['rule']}); approving {a['id']}")
                body = json.dumps({"reason": "demo"}).encode()
                req = urllib.request.Request(f"{gateway.control}/approvals/{a['id']}/approve", body, headers, method="POST")
                urllib.request.urlopen(req, timeout=5).read()
        except OSError as e:
            console.print(f"  approver: {e}")


def _run_agent(gateway: lab.Gateway, key: str, secret: str) -> None:
    import botocore.config
    import botocore.session

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(gateway.agent_env(key, secret))
    try:
        session = botocore.session.get_session()
        config = botocore.config.Config(retries={"max_attempts": 1})
        cache: dict = {}

        def clients(service):
            if service not in cache:
                cache[service] = session.create_client(service, config=config)
            return cache[service]

        _agent_script(clients)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _table(flows) -> Table:
    table = Table(title="What the gateway saw", show_lines=False)
    for col in ("#", "agent", "service", "operation", "region", "key parameters", "decision", "rule / approval", "status"):
        table.add_column(col, overflow="fold")
    for i, flow in enumerate(flows, 1):
        rec = flow.metadata.get("chaperone", {})
        call = rec.get("call") or {}
        decision = rec.get("decision") or {}
        approval = rec.get("approval") or {}
        why = decision.get("rule") or ""
        if approval:
            why += f" ({approval.get('id')} {approval.get('status')} by {approval.get('by')})"
        status = str(flow.response.status_code) if flow.response else (flow.error.msg if flow.error else "")
        table.add_row(
            str(i), rec.get("agent") or "-", call.get("service") or "-",
            call.get("operation") or (call.get("unknown_reason") or "-")[:40],
            call.get("region") or "-", _key_params(call),
            decision.get("action", ""), why, status,
        )
    return table


def _key_params(call: dict) -> str:
    """A couple of scalar parameters, never one the model marks sensitive."""
    params = call.get("params") or {}
    if not params or not call.get("operation"):
        return ""
    members = models.service_model(call["service"]).operation_model(call["operation"]).input_shape.members
    shown = [
        f"{k}={v}" for k, v in params.items()
        if isinstance(v, (str, int, float, bool)) and not k.startswith(("Checksum", "ClientRequestToken"))
        and not (k in members and members[k].metadata.get("sensitive"))
    ]
    return ", ".join(shown[:2])

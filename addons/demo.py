"""`chaperone demo`: moto as the embedded AWS, the gateway in front of it, and a
scripted agent with fake credentials; then a table of what the gateway saw."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import lab
from .config.agents import add_agent

console = Console()


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
        ("secretsmanager", "list_secrets", {}),
        ("s3", "delete_bucket", {"Bucket": "demo-reports"}),
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
        options = {
            "chaperone_agents": str(agents),
            "chaperone_rules": str(lab.REPO / "rules" / "default.yaml"),
            "chaperone_recordings": str(work / "recordings"),
        }
        console.print("[bold]Starting the gateway (mitmdump with the chaperone suite)...[/]")
        gateway = lab.start_gateway(work, moto.url, lab.gateway_env(moto), options)
        console.print(f"[bold]Running the scripted agent[/] (fake key {key}, HTTPS_PROXY={gateway.proxy})")
        _run_agent(gateway, key, secret)
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
    for col in ("#", "agent", "service", "operation", "region", "key parameters", "decision", "status"):
        table.add_column(col)
    for i, flow in enumerate(flows, 1):
        rec = flow.metadata.get("chaperone", {})
        call = rec.get("call") or {}
        decision = (rec.get("decision") or {}).get("action", "")
        status = str(flow.response.status_code) if flow.response else (flow.error.msg if flow.error else "")
        table.add_row(
            str(i), rec.get("agent") or "-", call.get("service") or "-",
            call.get("operation") or (call.get("unknown_reason") or "-")[:40],
            call.get("region") or "-", _key_params(call.get("params") or {}), decision, status,
        )
    return table


def _key_params(params: dict) -> str:
    shown = {k: v for k, v in params.items() if isinstance(v, (str, int, float, bool)) and k != "Body"}
    text = json.dumps(dict(list(shown.items())[:3]))
    return text if len(text) < 60 else text[:57] + "..."

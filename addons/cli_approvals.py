"""`chaperone approvals|approve|deny` (over the control channel) and `chaperone approver add`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .cli import Failure
from .config.approvers import add_approver
from .config import ConfigError


def _token(args: argparse.Namespace) -> str:
    if args.token_file:
        try:
            return Path(args.token_file).read_text().strip()
        except OSError as e:
            raise Failure(f"cannot read --token-file {args.token_file}: {e.strerror}") from e
    token = os.environ.get("CHAPERONE_APPROVER_TOKEN")
    if not token:
        raise Failure("no approver token: set CHAPERONE_APPROVER_TOKEN or pass --token-file (see `chaperone approver add`)")
    return token


def _call(args: argparse.Namespace, method: str, path: str, body: dict | None = None) -> dict:
    url = args.control.rstrip("/") + path
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data, method=method, headers={
        "Authorization": f"Bearer {_token(args)}", "Content-Type": "application/json",
    })
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        try:
            message = json.loads(e.read()).get("error", e.reason)
        except ValueError:
            message = e.reason
        raise Failure(f"{message} (HTTP {e.code})") from e
    except (urllib.error.URLError, OSError) as e:
        raise Failure(f"cannot reach the gateway's control channel at {args.control}: {getattr(e, 'reason', e)}") from e


def cmd_approvals(args: argparse.Namespace) -> int:
    pending = _call(args, "GET", "/approvals")["approvals"]
    if args.json:
        print(json.dumps(pending, indent=2))
        return 0
    table = Table(title=f"Pending approvals ({len(pending)})")
    for col in ("id", "agent", "service", "operation", "key parameters", "rule", "mode", "age", "waiting"):
        table.add_column(col)
    now = time.time()
    for a in pending:
        params = {k: v for k, v in a["params"].items() if isinstance(v, (str, int, float, bool))}
        table.add_row(
            a["id"], a["agent"] or "-", a["service"], a["operation"] or "-",
            json.dumps(params)[:60], a["rule"] or "-", a["mode"], f"{int(now - a['created'])} s", str(a["flows"]),
        )
    Console().print(table)
    return 0


def _decide(args: argparse.Namespace, verb: str) -> int:
    result = _call(args, "POST", f"/approvals/{args.id}/{verb}", {"reason": args.reason})["approval"]
    print(f"{result['id']}: {result['status']} by {result['decided_by']}")
    return 0


def cmd_approve(args):
    return _decide(args, "approve")


def cmd_deny(args):
    return _decide(args, "deny")


def cmd_approver_add(args: argparse.Namespace) -> int:
    try:
        token = add_approver(args.approvers, args.name)
    except ConfigError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    sys.stdout.write(f"CHAPERONE_APPROVER_TOKEN={token}\n")
    print(f"approver {args.name!r} added to {args.approvers}", file=sys.stderr)
    return 0


def register(sub) -> None:
    def channel(p):
        p.add_argument("--control", default=os.environ.get("CHAPERONE_CONTROL", "http://127.0.0.1:8081"),
                       help="the gateway's control channel (default $CHAPERONE_CONTROL or http://127.0.0.1:8081)")
        p.add_argument("--token-file", help="a file holding your approver token (default: $CHAPERONE_APPROVER_TOKEN)")

    ls = sub.add_parser("approvals", help="list calls waiting for approval")
    channel(ls)
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=cmd_approvals)
    ok = sub.add_parser("approve", help="approve a held or queued call")
    ok.add_argument("id")
    ok.add_argument("--reason", help="why (recorded)")
    channel(ok)
    ok.set_defaults(func=cmd_approve)
    no = sub.add_parser("deny", help="deny a held or queued call")
    no.add_argument("id")
    no.add_argument("--reason", required=True, help="why (shown to the agent and recorded)")
    channel(no)
    no.set_defaults(func=cmd_deny)

    approver = sub.add_parser("approver", help="add approvers (who may decide held calls)")
    asub = approver.add_subparsers(dest="approver_command", metavar="ACTION", required=True)
    add = asub.add_parser("add", help="create an approver; prints CHAPERONE_APPROVER_TOKEN=... on stdout")
    add.add_argument("name")
    add.add_argument("--approvers", default="approvers.yaml", metavar="FILE")
    add.set_defaults(func=cmd_approver_add)

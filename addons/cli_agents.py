"""`chaperone agent add|list|revoke`."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

from .cli import Failure, agent_env_lines
from .config.agents import add_agent, load_agents, revoke_agent
from .config import ConfigError


def cmd_add(args: argparse.Namespace) -> int:
    try:
        key, secret = add_agent(args.agents, args.name, regions=args.allow_region, services=args.allow_service)
    except ConfigError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    lines = [
        f"AWS_ACCESS_KEY_ID={key}",
        f"AWS_SECRET_ACCESS_KEY={secret}",
        f"AWS_DEFAULT_REGION={args.region}",
        *agent_env_lines(args.proxy, args.ca),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    print(f"agent {args.name!r} added to {args.agents}; the running gateway picks it up", file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        agents = load_agents(args.agents)
    except ConfigError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    table = Table(title=f"Agents in {args.agents}")
    for col in ("name", "access key id", "regions", "services", "role"):
        table.add_column(col)
    for a in sorted(agents.by_key.values(), key=lambda a: a.name):
        table.add_row(a.name, a.access_key_id, ", ".join(a.regions) or "any", ", ".join(a.services) or "any", a.role_arn or "gateway's own")
    Console().print(table)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    try:
        revoke_agent(args.agents, args.name)
    except ConfigError as e:
        raise Failure(str(e).replace("\n", "; ")) from e
    print(f"agent {args.name!r} revoked: its key no longer signs anything", file=sys.stderr)
    return 0


def register(sub) -> None:
    agent = sub.add_parser("agent", help="add, list or revoke agent identities")
    asub = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    default = os.environ.get("CHAPERONE_AGENTS", "agents.yaml")

    add = asub.add_parser("add", help="create an agent; prints its environment (KEY=value lines) on stdout")
    add.add_argument("name")
    add.add_argument("--agents", default=default, metavar="FILE", help="the agents file (default agents.yaml)")
    add.add_argument("--region", default="us-east-1", help="the agent's AWS_DEFAULT_REGION (default us-east-1)")
    add.add_argument("--allow-region", action="append", default=[], metavar="REGION",
                     help="restrict the agent to this region (repeat for several; default: any)")
    add.add_argument("--allow-service", action="append", default=[], metavar="SERVICE",
                     help="restrict the agent to this service (repeat for several; default: any)")
    add.add_argument("--proxy", default=f"http://{os.environ.get('CHAPERONE_HOST', '127.0.0.1')}:8080",
                     help="the gateway's URL as the agent reaches it")
    add.add_argument("--ca", default=os.path.abspath("certs/mitmproxy-ca-cert.pem"),
                     help="where the agent finds the gateway CA certificate")
    add.set_defaults(func=cmd_add)

    ls = asub.add_parser("list", help="list the agents")
    ls.add_argument("--agents", default=default, metavar="FILE")
    ls.set_defaults(func=cmd_list)

    rv = asub.add_parser("revoke", help="remove an agent and delete its secret")
    rv.add_argument("name")
    rv.add_argument("--agents", default=default, metavar="FILE")
    rv.set_defaults(func=cmd_revoke)


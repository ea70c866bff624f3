"""The `chaperone` command."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "suite.py"
CA_FILE = "mitmproxy-ca-cert.pem"


class Failure(Exception):
    """A command failed; its message is the one-line reason printed."""


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise Failure(f"{name} not found; install mitmproxy 12 (pip install 'mitmproxy>=12,<13')")
    return found


def cmd_run(args: argparse.Namespace) -> int:
    check_config(args)
    tool = _tool("mitmweb" if args.web else "mitmdump")
    argv = [
        tool, "-s", str(SUITE),
        "--set", f"confdir={args.confdir}",
        "--listen-port", str(args.listen_port),
        "--set", "connection_strategy=lazy",
        "--set", f"chaperone_rules={args.rules}",
        "--set", f"chaperone_agents={args.agents}",
        "--set", f"chaperone_recordings={args.recordings}",
    ]
    if args.upstream:
        argv += ["--set", f"chaperone_upstream={args.upstream}"]
    argv += args.mitmproxy_args
    os.execv(tool, argv)
    return 0  # not reached


def check_config(args: argparse.Namespace) -> None:
    """Refuse to start on a configuration that cannot be read."""
    from .resign import parse_upstream

    if args.upstream:
        try:
            parse_upstream(args.upstream)
        except ValueError as e:
            raise Failure(f"--upstream: {e}") from e
    from .config.agents import load_agents
    from .config import ConfigError

    from .policy import PolicyError, load_rules

    try:
        load_agents(args.agents)
    except ConfigError as e:
        raise Failure(f"cannot start: {e}") from e
    from .enforce import rules_path

    try:
        load_rules(rules_path(args.rules))
    except PolicyError as e:
        raise Failure(f"cannot start: {args.rules}: {e}") from e


def ensure_ca(confdir: Path) -> Path:
    """The gateway CA certificate, created the way mitmproxy creates it if missing."""
    from mitmproxy.certs import CertStore

    confdir.mkdir(parents=True, exist_ok=True)
    CertStore.from_store(confdir, "mitmproxy", 2048)
    return confdir / CA_FILE


def cmd_ca(args: argparse.Namespace) -> int:
    path = ensure_ca(Path(args.confdir)).resolve()
    ca = args.ca_path or str(path)
    proxy = f"http://{args.proxy_host}:{args.listen_port}"
    print(f"# CA certificate: {path}")
    print(f"# Copy it into the agent's container at {ca} and set:")
    for line in agent_env_lines(proxy, ca):
        print(line)
    return 0


def agent_env_lines(proxy: str, ca: str) -> list[str]:
    return [
        f"HTTPS_PROXY={proxy}",
        f"https_proxy={proxy}",
        f"AWS_CA_BUNDLE={ca}",
        f"REQUESTS_CA_BUNDLE={ca}",
        f"NODE_EXTRA_CA_CERTS={ca}",
        f"SSL_CERT_FILE={ca}",
    ]


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(keep=args.keep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaperone",
        description="A guardrail gateway for AI agents that call AWS, built on mitmproxy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the gateway in the foreground (mitmdump; --web for mitmweb)",
                         description="Run the gateway. Arguments after -- go to mitmproxy.")
    add_gateway_options(run)
    run.add_argument("--web", action="store_true", help="run mitmweb instead of mitmdump")
    run.set_defaults(func=cmd_run)

    ca = sub.add_parser("ca", help="print the CA certificate's path and the environment an agent needs")
    ca.add_argument("--confdir", default="certs", help="where the gateway CA lives (default: certs/)")
    ca.add_argument("-p", "--listen-port", type=int, default=8080, help="the gateway's port (default 8080)")
    ca.add_argument("--proxy-host", default=os.environ.get("CHAPERONE_HOST", "127.0.0.1"),
                    help="the gateway's address as the agent reaches it (default $CHAPERONE_HOST or 127.0.0.1)")
    ca.add_argument("--ca-path", help="where the agent's container holds the CA file (default: its path here)")
    ca.set_defaults(func=cmd_ca)

    demo = sub.add_parser("demo", help="run the demo: moto as AWS, the gateway, a scripted agent")
    demo.add_argument("--keep", action="store_true", help="keep the demo's working folder")
    demo.set_defaults(func=cmd_demo)

    from . import cli_agents, cli_approvals, cli_policy

    for module in (cli_agents, cli_policy, cli_approvals):
        module.register(sub)
    return parser


def add_gateway_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--listen-port", type=int, default=8080, help="proxy port (default 8080)")
    p.add_argument("--confdir", default="certs", help="where the gateway CA lives (default: certs/)")
    p.add_argument("--upstream", metavar="URL", help="send every AWS call to this endpoint instead of AWS")
    p.add_argument("--agents", metavar="FILE", default="agents.yaml", help="the agents file (default agents.yaml)")
    p.add_argument("--rules", metavar="FILE", default="rules/default.yaml", help="the rule set (default rules/default.yaml)")
    p.add_argument("--recordings", metavar="DIR", default="recordings", help="dump files and the audit log (default recordings/)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    extra: list[str] = []
    if "--" in argv:  # `chaperone run ... -- mitmproxy arguments`
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    args = build_parser().parse_args(argv)
    args.mitmproxy_args = extra
    try:
        return args.func(args)
    except Failure as e:
        print(f"chaperone: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

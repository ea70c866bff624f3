"""Fixtures for end-to-end tests: a gateway per test module in front of the
session's moto server, with one registered agent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from addons.config.agents import add_agent
from addons.lab import Gateway, Moto, gateway_env, start_gateway, stop
from tests.harness import agent_client


@dataclass
class Lab:
    moto: Moto
    gateway: Gateway
    workdir: Path
    key: str
    secret: str

    def client(self, service: str, region: str = "us-east-1", **config):
        return agent_client(self.gateway, service, self.key, self.secret, region, **config)

    def records(self) -> list[dict]:
        return [f.metadata.get("chaperone", {}) for f in self.gateway.flows()]


ALLOW_ALL = Path(__file__).parent / "rules" / "allow-all.yaml"


def open_lab(moto: Moto, workdir: Path, **options) -> Lab:
    """A gateway with one agent; rules allow everything unless `chaperone_rules` says otherwise."""
    agents = workdir / "agents.yaml"
    key, secret = add_agent(agents, "test-agent")
    opts = {"chaperone_agents": str(agents), "chaperone_rules": str(ALLOW_ALL), **options}
    gateway = start_gateway(workdir, moto.url, gateway_env(moto), opts)
    return Lab(moto, gateway, workdir, key, secret)


def close_lab(lab: Lab) -> None:
    stop(lab.gateway.proc)

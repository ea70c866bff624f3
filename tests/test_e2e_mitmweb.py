"""Deciding a held call in mitmweb: it shows as an intercepted flow whose
comment names the call, the agent and the rule; resume approves, kill denies."""

import json
import time
import urllib.request
from pathlib import Path

import pytest

from addons.lab import free_port, gateway_env, start_gateway, stop
from addons.config.agents import add_agent
from tests.harness import agent_client, in_thread

RULES = Path(__file__).parent / "rules" / "policy-e2e.yaml"
PASSWORD = "web-test-password"


@pytest.fixture(scope="module")
def web(moto, tmp_path_factory):
    work = tmp_path_factory.mktemp("web")
    key, secret = add_agent(work / "agents.yaml", "web-agent")
    web_port = free_port()
    gw = start_gateway(work, moto.url, gateway_env(moto), {
        "chaperone_agents": str(work / "agents.yaml"), "chaperone_rules": str(RULES),
        "web_port": str(web_port), "web_host": "127.0.0.1", "web_open_browser": "false", "web_password": PASSWORD,
    }, tool="mitmweb")
    yield gw, f"http://127.0.0.1:{web_port}", key, secret
    stop(gw.proc)


def api(base, method, path):
    req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None, headers={
        "Authorization": f"Bearer {PASSWORD}", "Cookie": "_mitmproxy_xsrf=t", "X-XSRFToken": "t"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
        return json.loads(body) if body else None


def held_flow(base, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for flow in api(base, "GET", "/flows"):
            if flow.get("intercepted"):
                return flow
        time.sleep(0.2)
    raise AssertionError("no intercepted flow in mitmweb")


def test_resume_approves_and_kill_denies(web):
    gw, base, key, secret = web
    ssm = agent_client(gw, "ssm", key, secret)
    ssm.put_parameter(Name="/web/a", Value="v", Type="String")

    t, result = in_thread(lambda: ssm.delete_parameter(Name="/web/a"))
    flow = held_flow(base)
    assert "ssm:DeleteParameter" in flow["comment"] and "web-agent" in flow["comment"]
    assert "hold-parameter-deletes" in flow["comment"]
    api(base, "POST", f"/flows/{flow['id']}/resume")
    t.join(30)
    assert "error" not in result, result

    ssm.put_parameter(Name="/web/b", Value="v", Type="String")
    t, result = in_thread(lambda: agent_client(gw, "ssm", key, secret).delete_parameter(Name="/web/b"))
    flow = held_flow(base)
    api(base, "POST", f"/flows/{flow['id']}/kill")
    t.join(30)
    error = result["error"].response["Error"]  # the agent gets an ordinary denial, not a dropped connection
    assert error["Code"] == "AccessDeniedException" and "mitmweb denied it" in error["Message"]
    assert ssm.get_parameter(Name="/web/b")["Parameter"]["Value"] == "v"

"""An agent mapped to an IAM role: the gateway assumes it (session named for
the agent, SourceIdentity set) and signs the agent's calls with it."""

import json
import time

import pytest
import yaml

from addons.config.agents import add_agent
from tests.e2e import close_lab, open_lab
from tests.harness import agent_client


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    lab = open_lab(moto, tmp_path_factory.mktemp("role"))
    yield lab
    close_lab(lab)


def test_calls_are_signed_with_the_assumed_role(lab):
    iam = lab.moto.client("iam")
    role = iam.create_role(
        RoleName="agent-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}),
    )["Role"]
    iam.put_role_policy(RoleName="agent-role", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    agents_file = lab.workdir / "agents.yaml"
    key, secret = add_agent(agents_file, "role-agent")
    data = yaml.safe_load(agents_file.read_text())
    for entry in data["agents"]:
        if entry["name"] == "role-agent":
            entry["role_arn"] = role["Arn"]
    agents_file.write_text(yaml.safe_dump(data))
    time.sleep(1.2)  # the agents file is re-read at most once a second

    ident = agent_client(lab.gateway, "sts", key, secret).get_caller_identity()
    assert ":assumed-role/agent-role/chaperone-role-agent" in ident["Arn"]
    # the plain agent still acts as the gateway itself
    assert lab.client("sts").get_caller_identity()["Arn"].endswith(":user/chaperone-gateway")
    s3 = agent_client(lab.gateway, "s3", key, secret)
    s3.create_bucket(Bucket="role-bucket")
    assert s3.list_objects_v2(Bucket="role-bucket")["KeyCount"] == 0
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "role-bucket", "Key": "k"})
    assert url


def test_the_session_token_never_shows_in_finished_flows(lab):
    """Invariant 2: the assumed role's session token was sent upstream, but the
    saved flows (what a dump file or mitmweb shows) no longer hold it."""
    role_flows = [f for f in lab.gateway.flows() if f.metadata.get("chaperone", {}).get("agent") == "role-agent"]
    assert role_flows
    for flow in role_flows:
        token = flow.request.headers.get("X-Amz-Security-Token")
        assert token == "[removed by chaperone]", token
        assert "security-token" not in flow.request.path.lower() or "removed" in flow.request.path
    raw = lab.gateway.dump.read_bytes()
    assert b"FQoGZXIvYXdzE" not in raw  # moto's session tokens start so

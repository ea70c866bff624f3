"""The agents and approvers files: strict, with file:line errors and fixes;
secrets only by reference, in files only the gateway can read."""

import os

import pytest

from addons.config import ConfigError
from addons.config.agents import add_agent, is_real_aws_key, load_agents, new_key_id, revoke_agent
from addons.config.approvers import add_approver, load_approvers


def errors_of(path, **kw):
    with pytest.raises(ConfigError) as e:
        load_agents(path, **kw)
    return str(e.value)


def test_add_list_revoke(tmp_path):
    path = tmp_path / "agents.yaml"
    key, secret = add_agent(path, "bot", regions=["eu-west-1"], services=["s3"])
    assert key.startswith("CHAP") and len(key) == 20 and not is_real_aws_key(key)
    assert secret not in path.read_text()  # the file only points at the secret
    secret_file = tmp_path / "secrets" / "bot.secret"
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    agent = load_agents(path).by_key[key]
    assert (agent.name, agent.secret, agent.regions, agent.services) == ("bot", secret, ("eu-west-1",), ("s3",))
    assert agent.allows_region("eu-west-1") and not agent.allows_region("us-east-1")
    with pytest.raises(ConfigError, match="already exists"):
        add_agent(path, "bot")
    revoke_agent(path, "bot")
    assert not load_agents(path).by_key and not secret_file.exists()
    with pytest.raises(ConfigError, match="no agent named"):
        revoke_agent(path, "bot")


def test_errors_name_file_line_and_fix(tmp_path):
    (tmp_path / "s.secret").write_text("x" * 40)
    os.chmod(tmp_path / "s.secret", 0o644)
    path = tmp_path / "agents.yaml"
    path.write_text(
        "agents:\n"
        f"  - name: a\n    access_key_id: {new_key_id()}\n    secret_env: NOPE_NOT_SET\n    servces: [s3]\n"
        f"  - name: b\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n    secret_file: s.secret\n    services: [dynamodbb]\n"
        f"  - name: c\n    access_key_id: {new_key_id()}\n    secret: hunter2hunter2hunter2\n"
    )
    text = errors_of(path, environ={})
    assert f"{path}:5:" in text and "unknown key 'servces'" in text and "did you mean 'services'" in text
    assert f"{path}:4:" in text and "'NOPE_NOT_SET' (secret_env) is not set" in text
    assert f"{path}:7:" in text and "is not a chaperone key id" in text
    assert f"{path}:8:" in text and "chmod 600" in text
    assert f"{path}:9:" in text and "unknown service 'dynamodbb'" in text and "did you mean 'dynamodb'" in text
    assert f"{path}:10:" in text and "never put a secret in the agents file" in text


def test_missing_or_broken_file(tmp_path):
    assert "chaperone agent add" in errors_of(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: [\n")
    assert f"{bad}:2:" in errors_of(bad) and "invalid YAML" in errors_of(bad)


def test_secret_from_environment(tmp_path):
    path = tmp_path / "agents.yaml"
    key = new_key_id()
    path.write_text(f"agents:\n  - name: envbot\n    access_key_id: {key}\n    secret_env: BOT_SECRET\n")
    assert load_agents(path, environ={"BOT_SECRET": "s" * 40}).by_key[key].secret == "s" * 40


def test_approvers(tmp_path):
    path = tmp_path / "approvers.yaml"
    alice, bob = add_approver(path, "alice"), add_approver(path, "bob")
    approvers = load_approvers(path)
    assert approvers.who(alice) == "alice" and approvers.who(bob) == "bob"
    assert approvers.who("x" * len(alice)) is None and approvers.who("") is None
    path.write_text("approvers:\n  - name: carol\n    tokn_file: x\n")
    with pytest.raises(ConfigError) as e:
        load_approvers(path)
    assert f"{path}:3:" in str(e.value) and "did you mean 'token_file'" in str(e.value)

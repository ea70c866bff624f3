"""The chaperone command as a user runs it."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def chaperone(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "addons.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=120, env=env)


def test_help_lists_every_subcommand():
    out = chaperone("--help")
    assert out.returncode == 0
    for cmd in ("run", "ca", "demo", "agent", "policy", "explain", "approvals", "approve", "deny", "approver"):
        assert re.search(rf"^\s+{cmd}\b", out.stdout, re.M), cmd
    for cmd in (["run"], ["agent", "add"], ["policy", "test"], ["approve"], ["deny"]):
        assert chaperone(*cmd, "--help").returncode == 0


def test_agent_add_prints_only_env_lines(tmp_path):
    out = chaperone("agent", "add", "bot", "--agents", str(tmp_path / "agents.yaml"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(re.match(r"^[A-Z_a-z]+=\S+$", line) for line in lines), lines
    keys = [line.split("=", 1)[0] for line in lines]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "HTTPS_PROXY", "AWS_CA_BUNDLE"):
        assert key in keys
    listed = chaperone("agent", "list", "--agents", str(tmp_path / "agents.yaml"))
    assert "bot" in listed.stdout
    assert chaperone("agent", "revoke", "bot", "--agents", str(tmp_path / "agents.yaml")).returncode == 0
    gone = chaperone("agent", "revoke", "bot", "--agents", str(tmp_path / "agents.yaml"))
    assert gone.returncode == 1 and "no agent named 'bot'" in gone.stderr


def test_ca_prints_path_and_environment(tmp_path):
    out = chaperone("ca", "--confdir", str(tmp_path / "certs"))
    assert out.returncode == 0
    ca = tmp_path / "certs" / "mitmproxy-ca-cert.pem"
    assert ca.exists() and str(ca) in out.stdout
    for key in ("HTTPS_PROXY", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"):
        assert f"{key}=" in out.stdout


def test_policy_check_reports_lines_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - id: x\n    match: {servics: [s3]}\n    action: deny\n")
    out = chaperone("policy", "check", str(bad))
    assert out.returncode == 1
    assert f"{bad}:4:" in out.stdout and "did you mean 'services'" in out.stdout
    assert chaperone("policy", "check", "rules/default.yaml").returncode == 0


def test_policy_test_and_explain(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: reads are fine\n    call: {service: s3, operation: GetObject, agent: bot}\n    expect: allow\n"
        "  - name: wrong on purpose\n    call: {service: s3, operation: DeleteBucket, agent: bot}\n    expect: allow\n"
    )
    out = chaperone("policy", "test", "rules/default.yaml", str(cases))
    assert out.returncode == 1 and "1 passed, 1 failed" in out.stdout
    out = chaperone("explain", "s3:DeleteBucket", "--param", "Bucket=prod", "--agent", "bot")
    assert out.returncode == 0 and "deny-delete-s3-data" in out.stdout and "DENY" in out.stdout


def test_run_refuses_a_broken_configuration(tmp_path):
    out = chaperone("run", "--agents", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert out.returncode == 1 and "cannot start" in out.stderr and "missing.yaml" in out.stderr
    chaperone("agent", "add", "bot", "--agents", str(tmp_path / "agents.yaml"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules: [{id: x, action: maybe}]\n")
    out = chaperone("run", "--agents", str(tmp_path / "agents.yaml"), "--rules", str(rules), cwd=tmp_path)
    assert out.returncode == 1 and "cannot start" in out.stderr and "maybe" in out.stderr


def test_approvals_without_a_gateway_fails_clearly():
    out = chaperone("approvals", "--control", "http://127.0.0.1:9", env={"CHAPERONE_APPROVER_TOKEN": "t" * 40, "PATH": ""})
    assert out.returncode == 1 and "cannot reach the gateway's control channel" in out.stderr

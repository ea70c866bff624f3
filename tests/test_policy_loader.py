"""The loader: strict, every problem with file, line and fix; warnings for rules that can never match."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from addons.policy import Catalog, PolicyError, load_rules, load_rules_text, parse_timeout
from addons.policy.globs import glob_problem


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / "rules" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def errors_of(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_rules(path)
    err = info.value
    assert str(err) == "\n".join(err.errors)
    return path, err.errors


def only_error(tmp_path: Path, text: str) -> tuple[str, str]:
    """(the single error, the file name prefix it must start with)."""
    path, errors = errors_of(tmp_path, text)
    assert len(errors) == 1, errors
    return errors[0], str(path)


def at(path: str, line: int) -> str:
    return f"{path}:{line}:"


GOOD = """
version: 1
rules:
  - id: allow-read
    match: {read_only: true}
    action: allow
"""


def test_loads_a_good_file_with_source_and_digest(tmp_path):
    path = write(tmp_path, GOOD)
    rs = load_rules(path)
    assert rs.source == str(path)
    assert rs.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r.id for r in rs.rules] == ["allow-read"]
    assert rs.rules[0].line == 3
    assert rs.warnings == []


def test_unknown_rule_key_with_did_you_mean(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: deny-x
            action: deny
            mesage: nope
        """)
    assert error.startswith(at(path, 5))
    assert "rule 'deny-x'" in error
    assert "unknown key 'mesage'" in error and "did you mean 'message'?" in error


def test_unknown_match_key_with_did_you_mean(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: deny-x
            action: deny
            match:
              services: [s3]
              oprations: [DeleteBucket]
        """)
    assert error.startswith(at(path, 7) + "7:")  # line and column
    assert "rule 'deny-x': unknown key 'oprations' in 'match' (did you mean 'operations'?)" in error


def test_unknown_top_level_key(tmp_path):
    path, errors = errors_of(tmp_path, "version: 1\nrule: []\n")
    path = str(path)
    assert any(e.startswith(at(path, 2)) and "unknown key 'rule'" in e and "'rules'" in e for e in errors)
    assert any("missing 'rules:'" in e for e in errors)


def test_wrong_types(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - id: x
            action: allow
            match:
              read_only: "yes"
              agents: [no]
              services: {s3: true}
        """)
    text = "\n".join(errors)
    assert f"{path}:6:" in text and "'read_only' must be true or false, not text 'yes'" in text
    assert f"{path}:7:" in text and "items of 'agents' must be text, not true/false (no); quote it" in text
    assert f"{path}:8:" in text and "'services' must be a list of text, not a mapping" in text


def test_unknown_service_with_did_you_mean(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: deny-x
            action: deny
            match:
              services: [dynamodbb]
        """)
    assert error.startswith(at(path, 6))
    assert "unknown service 'dynamodbb'" in error and "did you mean 'dynamodb'" in error


def test_unknown_operation_with_did_you_mean(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: deny-x
            action: deny
            match:
              services: [s3]
              operations: [DeleteBuckett]
        """)
    assert error.startswith(at(path, 7))
    assert "unknown operation 'DeleteBuckett': not an operation of s3" in error
    assert "did you mean 'DeleteBucket'" in error


def test_operation_case_is_suggested(tmp_path):
    error, _ = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match: {services: [dynamodb], operations: [deleteTable]}
        """)
    assert "did you mean 'DeleteTable'" in error


def test_operation_of_another_service_is_an_error(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match:
              services: [s3]
              operations: [TerminateInstances]
        """)
    assert error.startswith(at(path, 7))
    assert "not an operation of s3" in error
    assert "ec2" in error  # says which service does have it


def test_operation_without_services_must_exist_somewhere(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match:
              operations: [TerminateInstancez]
        """)
    assert error.startswith(at(path, 6))
    assert "not an operation of any AWS service" in error and "did you mean 'TerminateInstances'" in error
    # an exact name that exists somewhere is fine without services
    load_rules_text("version: 1\nrules:\n  - id: x\n    action: deny\n    match: {operations: [TerminateInstances]}\n")


def test_iam_style_operation_names(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match:
              operations: ["s3:DeleteBucket"]
        """)
    assert error.startswith(at(path, 6))
    assert "write the service under 'services' ('s3') and the operation name alone ('DeleteBucket')" in error


def test_bad_glob(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match:
              services: [ec2]
              operations: ["Delete[Volume"]
        """)
    assert error.startswith(at(path, 7))
    assert "unbalanced '['" in error and "write '[[]' for a literal '['" in error


def test_glob_problems():
    assert glob_problem("Delete*") is None
    assert glob_problem("Batch[GW]*") is None
    assert glob_problem("[!a]x") is None
    assert glob_problem("[]]") is None
    assert "unbalanced" in glob_problem("a[b")
    assert "empty range" in glob_problem("[z-a]")


def test_invalid_jmespath(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match:
              when: "params.Bucket == "
        """)
    assert error.startswith(at(path, 6))
    assert "invalid JMESPath in 'when'" in error
    assert "single quotes" in error  # the fix


def test_duplicate_rule_ids(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: dup
            action: deny
          - id: dup
            action: allow
        """)
    assert error.startswith(at(path, 5))
    assert "duplicate rule id 'dup' (first used on line 3)" in error


def test_missing_id_and_action(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - action: deny
          - id: no-action
        """)
    assert len(errors) == 2
    assert errors[0].startswith(at(str(path), 3)) and "rule #1: missing 'id'" in errors[0]
    assert errors[1].startswith(at(str(path), 4)) and "rule 'no-action': missing 'action'" in errors[1]
    assert "write 'action: allow', 'action: deny' or 'action: approve'" in errors[1]


def test_unknown_action(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: aprove
        """)
    assert error.startswith(at(path, 4))
    assert "unknown action 'aprove' (did you mean 'approve'?)" in error


def test_approval_on_a_non_approve_rule(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: deny-x
            action: deny
            approval:
              timeout: 60
        """)
    assert error.startswith(at(path, 5))
    assert "'approval' is only for approve rules" in error
    assert "remove 'approval' or write 'action: approve'" in error


def test_timeout_that_does_not_parse(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: hold-x
            action: approve
            approval:
              timeout: 5 minutes
        """)
    assert error.startswith(at(path, 6))
    assert "approval timeout text '5 minutes' does not parse" in error
    assert "300s, 5m, 1h30m" in error


def test_approval_mode_and_approvers(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - id: hold-x
            action: approve
            approval:
              mode: wait
              approvers: []
              timeout: 0
        """)
    text = "\n".join(errors)
    assert f"{path}:6:" in text and "approval mode must be 'hold'" in text
    assert f"{path}:7:" in text and "'approvers' is empty" in text
    assert f"{path}:8:" in text and "between 1 second and 7 days" in text


@pytest.mark.parametrize("value,seconds", [
    (300, 300), ("300", 300), ("300s", 300), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1h 5s", 3605),
    ("5 minutes", None), ("", None), ("m", None), (True, None), (1.5, None), ("-5", None),
])
def test_parse_timeout(value, seconds):
    assert parse_timeout(value) == seconds


def test_duplicate_yaml_key(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            action: allow
        """)
    assert error.startswith(at(path, 5))
    assert "duplicate key 'action'" in error and "first given on line 4" in error


def test_broken_yaml_names_the_line(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            match: {services: [s3}
            action: deny
        """)
    assert error.startswith(at(path, 4))
    assert "invalid YAML" in error


def test_empty_file_and_missing_version(tmp_path):
    error, path = only_error(tmp_path, "\n")
    assert error.startswith(path) and "empty" in error and "version: 1" in error
    error, path = only_error(tmp_path, "rules: []\n")
    assert error.startswith(at(path, 1)) and "missing 'version: 1'" in error
    error, path = only_error(tmp_path, "version: 2\nrules: []\n")
    assert error.startswith(at(path, 1)) and "'version' must be 1" in error


def test_egress_rule_mixed_with_aws_keys(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - id: x
            action: approve
            match:
              hosts: ["*.pypi.org"]
              services: [s3]
        """)
    text = "\n".join(errors)
    assert f"{path}:7:" in text and "'services' cannot be combined with 'hosts'" in text and "split it into two rules" in text
    assert f"{path}:6:" in text and "egress rule ('hosts') can only allow or deny" in text


def test_host_that_is_a_url(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match: {hosts: ["https://pypi.org/simple"]}
        """)
    assert error.startswith(at(path, 5)) and "write the host alone" in error


def test_unknown_true_with_operations(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: allow
            match:
              services: [s3]
              operations: [GetObject]
              unknown: true
        """)
    assert error.startswith(at(path, 8)) and "cannot be combined with 'operations'" in error


def test_resources_must_be_arns(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: x
            action: deny
            match: {resources: [prod-bucket]}
        """)
    assert error.startswith(at(path, 5)) and "not an ARN glob" in error and "arn:aws:s3:::prod-bucket" in error


def test_bad_rule_id(tmp_path):
    error, path = only_error(tmp_path, """
        version: 1
        rules:
          - id: "has spaces"
            action: deny
        """)
    assert error.startswith(at(path, 3)) and "letters, digits" in error


def test_all_errors_are_collected(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - id: a
            action: deny
            match: {services: [s4]}
          - id: b
            action: alow
          - id: c
            action: deny
            match: {when: "("}
          - id: a
            action: allow
        """)
    assert len(errors) == 4, errors
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == sorted(lines) == [5, 7, 10, 11]
    assert all(e.startswith(str(path) + ":") for e in errors)


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_rules(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(info.value) and "cannot read" in str(info.value)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\nrules: []\n# caf\xe9\n")
    with pytest.raises(PolicyError) as info:
        load_rules(bad)
    assert "not UTF-8" in str(info.value)


def test_unsafe_yaml_tags_are_refused(tmp_path):
    path, errors = errors_of(tmp_path, """
        version: 1
        rules:
          - id: x
            action: !!python/object:os.system deny
        """)
    assert any(f"{path}:4:" in e for e in errors)


class TestWarnings:
    def test_glob_matching_no_operation(self):
        rs = load_rules_text(dedent("""
            version: 1
            rules:
              - id: x
                action: deny
                match:
                  services: [s3]
                  operations: ["Terminate*"]
            """), "w.yaml")
        assert len(rs.warnings) == 1
        assert rs.warnings[0].startswith("w.yaml:7:")
        assert "matches no operation of s3, so this rule can never match" in rs.warnings[0]

    def test_service_glob_matching_nothing_and_empty_list(self):
        rs = load_rules_text(dedent("""
            version: 1
            rules:
              - id: x
                action: deny
                match:
                  services: ["zzz*"]
              - id: y
                action: allow
                match:
                  agents: []
            """), "w.yaml")
        assert len(rs.warnings) == 2
        assert "w.yaml:6:" in rs.warnings[0] and "matches no AWS service" in rs.warnings[0]
        assert "w.yaml:10:" in rs.warnings[1] and "empty list" in rs.warnings[1]

    def test_condition_reading_a_missing_name(self):
        rs = load_rules_text(dedent("""
            version: 1
            rules:
              - id: x
                action: deny
                match:
                  when: "parms.Bucket == 'b' || params.Key == scratch"
            """), "w.yaml")
        text = "\n".join(rs.warnings)
        assert "'parms'" in text and "did you mean 'params'" in text
        assert "'scratch'" in text and "quote it" in text
        # names inside projections and filters are not read from the top
        ok = load_rules_text("version: 1\nrules:\n  - id: x\n    action: deny\n"
                             "    match: {when: \"resources[?contains(@, 'x')] && params.Items[*].Name\"}\n")
        assert ok.warnings == []

    def test_unknown_guards_and_region(self):
        rs = load_rules_text(dedent("""
            version: 1
            rules:
              - id: x
                guards: destory-data
                action: deny
                match: {regions: [us-est-1]}
            """), "w.yaml")
        text = "\n".join(rs.warnings)
        assert "w.yaml:4:" in text and "did you mean 'destroy-data'" in text
        assert "w.yaml:6:" in text and "'us-east-1'" in text


class TestCatalog:
    def test_fixed_catalog(self):
        cat = Catalog.from_data({"widgets": ["MakeWidget", "DeleteWidget"]})
        rs = load_rules_text("version: 1\nrules:\n  - id: x\n    action: deny\n"
                             "    match: {services: [widgets], operations: [DeleteWidget]}\n", catalog=cat)
        assert rs.rules[0].id == "x"
        with pytest.raises(PolicyError) as info:
            load_rules_text("version: 1\nrules:\n  - id: x\n    action: deny\n"
                            "    match: {services: [s3]}\n", catalog=cat)
        assert "unknown service 's3'" in str(info.value)

    def test_disk_cache_is_written_and_used(self, tmp_path):
        cat = Catalog(cache_dir=tmp_path)
        assert "GetObject" in cat.operations("s3")
        cat.save()
        files = list(tmp_path.glob("botocore-*/operations.json"))
        assert len(files) == 1
        data = json.loads(files[0].read_text())
        assert "GetObject" in data["operations"]["s3"]
        # a new catalog reads the cache rather than the model
        data["operations"]["s3"].append("FromTheCache")
        files[0].write_text(json.dumps(data))
        assert "FromTheCache" in Catalog(cache_dir=tmp_path).operations("s3")
        # a broken cache is ignored
        files[0].write_text("{not json")
        assert "FromTheCache" not in Catalog(cache_dir=tmp_path).operations("s3")

    def test_operations_match_botocore(self):
        import botocore.session

        session = botocore.session.get_session()
        cat = Catalog(use_cache=False)
        for service in ("s3", "dynamodb", "iam", "sqs"):
            assert cat.operations(service) == frozenset(session.get_service_model(service).operation_names)
        assert cat.operations("no-such-service") == frozenset()
        assert "us-east-1" in cat.regions()

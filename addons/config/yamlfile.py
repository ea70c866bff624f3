"""Strict YAML reading with line numbers, for every configuration file."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A configuration file could not be read; each error names file and line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Node:
    """A YAML value with where it came from."""

    value: Any
    line: int


def compose(text: str, source: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError([f"{where}: not valid YAML: {getattr(e, 'problem', e)}"]) from e


def to_python(node: yaml.Node) -> Any:
    """A composed node as plain Python, every mapping a dict of Node values."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: Node(to_python(v), k.start_mark.line + 1) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [Node(to_python(v), v.start_mark.line + 1) for v in node.value]
    return yaml.SafeLoader("").construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value


def read(path: str | Path) -> tuple[Any, int]:
    """(top-level value as Nodes, line) of a YAML file."""
    source = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise ConfigError([f"{source}: cannot read: {e.strerror}"]) from e
    node = compose(text, source)
    if node is None:
        return {}, 1
    return to_python(node), node.start_mark.line + 1


def unknown_key(source: str, line: int, key: str, allowed, what: str) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
    return f"{source}:{line}: {what}: unknown key {key!r}{hint}"

"""Reading YAML with line numbers: a small strict reader over yaml's node graph.

yaml's compose API (SafeLoader, or its C twin CSafeLoader: the same safe
constructor over a faster parser) gives nodes that keep their position. The
:class:`Source` here walks them, converting scalars with the safe
constructor, and collects every problem as ``file:line:column: text`` so the
caller can report all of them at once.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL}


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 3) -> str:
    """' (did you mean 'x'?)' or '': the closest choices (several only if about as close)."""
    choices = list(choices)
    by_lower: dict[str, str] = {}
    for c in choices:
        by_lower.setdefault(c.lower(), c)
    exact_case = by_lower.get(word.lower())
    if exact_case is not None and exact_case != word:
        return f" (did you mean '{exact_case}'?)"
    scored: dict[str, float] = {}
    for c in difflib.get_close_matches(word, choices, n=n * 2, cutoff=0.6):
        scored[c] = difflib.SequenceMatcher(None, word, c).ratio()
    for c in difflib.get_close_matches(word.lower(), list(by_lower), n=n * 2, cutoff=0.6):
        original = by_lower[c]
        scored.setdefault(original, difflib.SequenceMatcher(None, word.lower(), c).ratio())
    if not scored:
        return ""
    best = max(scored.values())
    found = sorted((c for c, r in scored.items() if r >= best - 0.05), key=lambda c: (-scored[c], c))[:n]
    return " (did you mean " + " or ".join(f"'{c}'" for c in found) + "?)"


def describe(node: Node) -> str:
    """How a value reads to a person, for 'must be X, not Y' messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing (null)"
    if node.tag == BOOL:
        return f"true/false ({node.value})"
    if node.tag in (INT, FLOAT):
        return f"a number ({node.value})"
    if node.tag == STR:
        return f"text {node.value!r}"
    return f"a value tagged {node.tag}"


class Source:
    """One YAML text being read: node helpers plus the problems found."""

    def __init__(self, text: str, source: str) -> None:
        self.yaml_text = text
        self.source = source
        self._errors: list[tuple[int, int, int, str]] = []
        self._warnings: list[tuple[int, int, int, str]] = []
        self._loader: Any = None

    # -- positions and problems --------------------------------------------

    @property
    def errors(self) -> list[str]:
        """The errors found so far, in file order."""
        return [text for *_, text in sorted(self._errors)]

    @property
    def error_count(self) -> int:
        return len(self._errors)

    @property
    def warnings(self) -> list[str]:
        return [text for *_, text in sorted(self._warnings)]

    def _add(self, into: list, node: Any, text: str) -> None:
        mark = getattr(node, "start_mark", node)
        line = mark.line if mark is not None and hasattr(mark, "line") else -1
        col = mark.column if mark is not None and hasattr(mark, "column") else -1
        into.append((line, col, len(into), f"{self.where(node)}: {text}"))

    def where(self, node: Node | Any | None) -> str:
        mark = getattr(node, "start_mark", node)
        if mark is None or not hasattr(mark, "line"):
            return self.source
        return f"{self.source}:{mark.line + 1}:{mark.column + 1}"

    def error(self, node: Node | Any | None, text: str) -> None:
        self._add(self._errors, node, text)

    def warn(self, node: Node | Any | None, text: str) -> None:
        self._add(self._warnings, node, text)

    # -- parsing -----------------------------------------------------------

    def root(self) -> Node | None:
        """The document's root node, or None (with an error) if the YAML is broken or empty."""
        self._loader = SafeLoader(self.yaml_text)
        try:
            node = self._loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            context = f" ({exc.context})" if exc.context and exc.problem else ""
            self.error(mark, f"invalid YAML: {problem}{context}")
            return None
        except yaml.YAMLError as exc:
            self.error(None, f"invalid YAML: {exc}")
            return None
        return node  # None for an empty document: the caller says what it expected

    def close(self) -> None:
        if self._loader is not None:
            self._loader.dispose()
            self._loader = None

    def scalar(self, node: ScalarNode) -> Any:
        return self._loader.construct_object(node, deep=True)

    # -- typed access ------------------------------------------------------

    def mapping(self, node: Node, what: str, allowed: Iterable[str], label: str = "") -> dict[str, tuple[Node, Node]] | None:
        """{key: (key node, value node)}, reporting non-text, duplicate, merge and unknown keys."""
        prefix = f"{label}: " if label else ""
        if not isinstance(node, MappingNode) or node.tag != MAP:
            self.error(node, f"{prefix}{what} must be a mapping of 'key: value' lines, not {describe(node)}")
            return None
        allowed = list(allowed)
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                if isinstance(key_node, ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                    self.error(key_node, f"{prefix}YAML merge keys ('<<') are not supported; write the keys out")
                else:
                    self.error(key_node, f"{prefix}keys in {what} must be text, not {describe(key_node)}")
                continue
            key = key_node.value
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.error(key_node, f"{prefix}duplicate key '{key}' in {what} (first given on line {first}); keep one")
                continue
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                if not hint:
                    hint = " (allowed: " + ", ".join(allowed) + ")"
                self.error(key_node, f"{prefix}unknown key '{key}' in {what}{hint}")
                continue
            out[key] = (key_node, value_node)
        return out

    def text(self, node: Node, what: str, label: str = "", *, allow_empty: bool = False) -> str | None:
        prefix = f"{label}: " if label else ""
        if isinstance(node, ScalarNode) and node.tag == STR:
            value = node.value
            if not value.strip() and not allow_empty:
                self.error(node, f"{prefix}'{what}' is empty; give it a value or remove it")
                return None
            return value
        fix = "; quote it" if isinstance(node, ScalarNode) and node.tag in (INT, FLOAT, BOOL) else ""
        self.error(node, f"{prefix}'{what}' must be text, not {describe(node)}{fix}")
        return None

    def boolean(self, node: Node, what: str, label: str = "") -> bool | None:
        prefix = f"{label}: " if label else ""
        if isinstance(node, ScalarNode) and node.tag == BOOL:
            return bool(self.scalar(node))
        self.error(node, f"{prefix}'{what}' must be true or false, not {describe(node)}")
        return None

    def texts(self, node: Node, what: str, label: str = "") -> list[tuple[str, Node]] | None:
        """A list of text items (or one text item, as shorthand), with each item's node."""
        prefix = f"{label}: " if label else ""
        if isinstance(node, ScalarNode) and node.tag == STR:
            item = self.text(node, what, label)
            return None if item is None else [(item, node)]
        if not isinstance(node, SequenceNode) or node.tag != SEQ:
            fix = "; quote it" if isinstance(node, ScalarNode) and node.tag in (INT, FLOAT, BOOL) else ""
            self.error(node, f"{prefix}'{what}' must be a list of text, not {describe(node)}{fix}")
            return None
        out: list[tuple[str, Node]] = []
        ok = True
        for item in node.value:
            if isinstance(item, ScalarNode) and item.tag == STR and item.value.strip():
                out.append((item.value, item))
            elif isinstance(item, ScalarNode) and item.tag == STR:
                self.error(item, f"{prefix}an item of '{what}' is empty; remove it")
                ok = False
            else:
                fix = "; quote it" if isinstance(item, ScalarNode) and item.tag in (INT, FLOAT, BOOL) else ""
                self.error(item, f"{prefix}items of '{what}' must be text, not {describe(item)}{fix}")
                ok = False
        return out if ok else None

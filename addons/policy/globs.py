"""Shell-style globs (``*``, ``?``, ``[abc]``, ``[!abc]``), checked strictly and compiled once.

Python's fnmatch quietly treats an unbalanced ``[`` as a literal character,
which hides typos, so :func:`glob_problem` reports it instead. A pattern list
compiles to one :class:`Patterns`: a set for the exact names and a single
alternation regex for the globs.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

GLOB_CHARS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern or "[" in pattern


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is not a well-formed glob, or None."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c != "[":
            continue
        start = i - 1
        j = i
        if j < n and pattern[j] == "!":
            j += 1
        if j < n and pattern[j] == "]":
            j += 1
        while j < n and pattern[j] != "]":
            j += 1
        if j >= n:
            return (
                f"unbalanced '[' at character {start + 1} of glob {pattern!r}: "
                "close the set with ']', or write '[[]' for a literal '['"
            )
        body = pattern[i:j]
        if body.startswith("!"):
            body = body[1:]
        # a range such as z-a is empty; a set made only of empty ranges matches nothing
        k, nonempty = 0, False
        while k < len(body):
            if k + 2 < len(body) and body[k + 1] == "-":
                if body[k] <= body[k + 2]:
                    nonempty = True
                else:
                    return (
                        f"empty range '{body[k:k + 3]}' in glob {pattern!r}: "
                        f"write it low to high ('{body[k + 2]}-{body[k]}')"
                    )
                k += 3
            else:
                nonempty = True
                k += 1
        if not nonempty:
            return f"empty set '[]' in glob {pattern!r}"
        i = j + 1
    return None


def translate(pattern: str) -> str:
    return fnmatch.translate(pattern)


@dataclass(slots=True, frozen=True)
class Patterns:
    """A compiled list of names and globs: matches if any of them does."""

    exact: frozenset[str]
    regex: re.Pattern[str] | None
    source: tuple[str, ...]
    anything: bool  # one of the patterns is "*"

    def __call__(self, value: str) -> bool:
        if self.anything:
            return True
        if value in self.exact:
            return True
        return self.regex is not None and self.regex.match(value) is not None

    def globs(self) -> tuple[str, ...]:
        return tuple(p for p in self.source if is_glob(p))


def compile_patterns(patterns: list[str] | tuple[str, ...], *, ignore_case: bool = False) -> Patterns:
    pats = tuple(patterns)
    exact = frozenset(p for p in pats if not is_glob(p))
    globs = [p for p in pats if is_glob(p)]
    regex = None
    if globs:
        flags = re.IGNORECASE if ignore_case else 0
        regex = re.compile("|".join(translate(g) for g in globs), flags)
    return Patterns(exact=exact, regex=regex, source=pats, anything="*" in pats)


def compile_one(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(translate(pattern), re.IGNORECASE if ignore_case else 0)

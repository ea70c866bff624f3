"""The policy engine: YAML rules that allow, deny, or hold an AWS call for a person.

No mitmproxy here: the enforce addon passes a classified ``Call`` in and acts
on the ``Decision`` that comes out. See ``rules/README.md`` for the language.

    rules = load_rules("rules/default.yaml")      # PolicyError lists every problem
    decision = decide(rules, call, "bot")           # .action: allow | deny | approve
"""

from .cases import Case, CaseResult, guess_read_only, load_cases, load_cases_text, run_cases
from .catalog import Catalog, default_catalog
from .evaluate import condition_document, decide
from .loader import load_rules, load_rules_text, parse_timeout
from .schema import HARMS, Approval, Decision, Match, PolicyError, Rule, RuleSet

__all__ = [
    "HARMS",
    "Approval",
    "Case",
    "CaseResult",
    "Catalog",
    "Decision",
    "Match",
    "PolicyError",
    "Rule",
    "RuleSet",
    "condition_document",
    "decide",
    "default_catalog",
    "guess_read_only",
    "load_cases",
    "load_cases_text",
    "load_rules",
    "load_rules_text",
    "parse_timeout",
    "run_cases",
]

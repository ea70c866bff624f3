#!/usr/bin/env python3
"""Run AWS's protocol compliance cases through route() and parse_params() and
print how many pass, per protocol file, with every failure."""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.compliance import run_all  # noqa: E402


def main() -> int:
    outcomes = run_all()
    total, passed = Counter(), Counter()
    for o in outcomes:
        total[o.file] += 1
        passed[o.file] += o.ok
        if not o.ok:
            print(f"FAIL {o.file} {o.case}: {o.detail}")
    for f in sorted(total):
        print(f"{f:50} {passed[f]:4}/{total[f]}")
    print(f"{'all':50} {sum(passed.values()):4}/{sum(total.values())}")
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())

"""The chaperone pipeline, in order: `mitmdump -s addons/suite.py --set confdir=certs`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from addons.classify import Classify  # noqa: E402
from addons.enforce import Enforce  # noqa: E402
from addons.record import Record  # noqa: E402
from addons.redact import Redact  # noqa: E402
from addons.resign import Resign  # noqa: E402
from addons.settings import Settings  # noqa: E402

_classify = Classify()
addons = [Settings(), _classify, Enforce(), Resign(_classify), Redact(), Record()]

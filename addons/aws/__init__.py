"""Pure AWS logic, free of mitmproxy: models, hosts, routing, parsing, signing, errors."""

from .call import Call
from .classifier import classify
from .params import ParamError, parse_params
from .router import route

__all__ = ["Call", "ParamError", "classify", "parse_params", "route"]

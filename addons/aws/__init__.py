"""Pure AWS logic, free of mitmproxy: models, hosts, routing, parsing, signing, errors."""

from .call import Call
from .params import ParamError, parse_params
from .router import route

__all__ = ["Call", "ParamError", "parse_params", "route", "classify"]


def classify(method, url, headers, body):
    """The classified call for a raw HTTP request; None for non-AWS traffic."""
    from .classifier import classify as _classify

    return _classify(method, url, headers, body)

"""Whether an operation only reads.

botocore's models carry no read-only trait, so this follows AWS's naming
convention (and the HTTP method for REST protocols), with one exception the
names hide: calls that mint credentials or tokens are never read-only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from botocore.model import OperationModel

from . import models

_READ_PREFIXES = (
    "Get", "List", "Describe", "Head", "BatchGet", "Query", "Scan", "Search",
    "Lookup", "Select", "Simulate", "Filter", "Preview", "Validate", "View",
)
_MINTS = re.compile(r"Token|Credential|Password|SigninUrl|LoginProfile|PresignedUrl|AuthorizationData")


@lru_cache(maxsize=4096)
def is_read_only(operation: OperationModel) -> bool:
    if _MINTS.search(operation.name):
        return False
    if operation.metadata.get("protocol", "").startswith("rest") and operation.http.get("method") in ("GET", "HEAD"):
        return True
    return name_reads(operation.name)


def name_reads(name: str | None) -> bool:
    """The naming convention alone: Get*, List*, Describe*, ... and not a credential minter."""
    if not name or _MINTS.search(name):
        return False
    for prefix in _READ_PREFIXES:
        if name.startswith(prefix) and (len(name) == len(prefix) or name[len(prefix)].isupper()):
            return True
    return False


def operation_reads(service: str, operation: str | None) -> bool:
    """`is_read_only` for a named operation, by its model when the service has one."""
    try:
        return is_read_only(models.service_model(service).operation_model(operation))
    except Exception:  # noqa: BLE001 - an unknown service or operation: the name decides
        return name_reads(operation)

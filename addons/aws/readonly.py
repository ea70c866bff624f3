"""Whether an operation only reads.

botocore's models carry no read-only trait, so this follows AWS's naming
convention (and the HTTP method for REST protocols), with one exception the
names hide: calls that mint credentials or tokens are never read-only.
"""

from __future__ import annotations

import re

from botocore.model import OperationModel

_READ_PREFIXES = (
    "Get", "List", "Describe", "Head", "BatchGet", "Query", "Scan", "Search",
    "Lookup", "Select", "Simulate", "Filter", "Preview", "Validate", "View",
)
_MINTS = re.compile(r"Token|Credential|Password|SigninUrl|LoginProfile|PresignedUrl|AuthorizationData")


def is_read_only(operation: OperationModel) -> bool:
    name = operation.name
    if _MINTS.search(name):
        return False
    if operation.metadata.get("protocol", "").startswith("rest") and operation.http.get("method") in ("GET", "HEAD"):
        return True
    return name.startswith(_READ_PREFIXES) and not name.startswith(("PutGet", "Listen"))

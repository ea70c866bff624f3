"""What AWS services, operations and regions exist, according to botocore's models.

The loader checks every service, operation and region a rule names against
this catalog. Listing the services is cheap (botocore lists directories);
loading a service model is not (tens of milliseconds for the big ones, about
2.5 s for all of them), so the catalog loads only the services it is asked
about, keeps their operation names in memory, and caches them on disk under
``~/.cache/chaperone/botocore-<version>-<key>/operations.json`` (the key covers
botocore's model search paths, so a model added under ``~/.aws/models`` is
seen). ``CHAPERONE_CACHE_DIR`` or ``XDG_CACHE_HOME`` move the cache; a cache
that cannot be read or written is simply not used.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterable

CACHE_FORMAT = 1


def cache_root() -> Path:
    """Where chaperone keeps caches: $CHAPERONE_CACHE_DIR, $XDG_CACHE_HOME/chaperone or ~/.cache/chaperone."""
    explicit = os.environ.get("CHAPERONE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "chaperone"
    return Path.home() / ".cache" / "chaperone"


class Catalog:
    """The services, operations and regions that botocore knows.

    Tests may build a catalog from plain data with :meth:`from_data`; the
    loader then checks names against it instead of botocore.
    """

    def __init__(self, *, cache_dir: str | os.PathLike | None = None, use_cache: bool = True) -> None:
        import botocore
        import botocore.loaders

        self._loader = botocore.loaders.Loader()
        self._lock = threading.Lock()
        self._services: frozenset[str] | None = None
        self._ops: dict[str, frozenset[str]] = {}
        self._regions: frozenset[str] | None = None
        self._all_loaded = False
        self._dirty = False
        self._fixed = False
        self._cache_file: Path | None = None
        if use_cache:
            paths = []
            for path in self._loader.search_paths:
                try:
                    mtime = os.stat(path).st_mtime_ns
                except OSError:
                    continue
                paths.append(f"{os.path.realpath(path)}@{mtime}")
            key = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:12]
            root = Path(cache_dir) if cache_dir is not None else cache_root()
            self._cache_file = root / f"botocore-{botocore.__version__}-{key}" / "operations.json"
            self._read_cache()

    @classmethod
    def from_data(cls, operations: dict[str, Iterable[str]], regions: Iterable[str] = ()) -> "Catalog":
        """A fixed catalog (for tests): {service: [operation, ...]}."""
        self = cls.__new__(cls)
        self._loader = None
        self._lock = threading.Lock()
        self._ops = {s: frozenset(o) for s, o in operations.items()}
        self._services = frozenset(self._ops)
        self._regions = frozenset(regions)
        self._all_loaded = True
        self._dirty = False
        self._fixed = True
        self._cache_file = None
        return self

    # -- the disk cache ---------------------------------------------------

    def _read_cache(self) -> None:
        try:
            with open(self._cache_file, encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("format") != CACHE_FORMAT:
                return
            self._ops = {s: frozenset(o) for s, o in data.get("operations", {}).items()}
            if data.get("regions"):
                self._regions = frozenset(data["regions"])
            if data.get("services"):
                self._services = frozenset(data["services"])
            self._all_loaded = bool(data.get("complete")) and self._services is not None
        except (OSError, ValueError, TypeError, AttributeError):
            self._ops = {}

    def save(self) -> None:
        """Write what was learnt to the disk cache (atomic; errors ignored)."""
        if self._cache_file is None or not self._dirty:
            return
        data = {
            "format": CACHE_FORMAT,
            "services": sorted(self.services()),
            "regions": sorted(self._regions) if self._regions is not None else [],
            "complete": self._all_loaded,
            "operations": {s: sorted(o) for s, o in sorted(self._ops.items())},
        }
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._cache_file.parent, prefix=".operations-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, self._cache_file)
            self._dirty = False
        except OSError:
            pass

    # -- lookups ----------------------------------------------------------

    def services(self) -> frozenset[str]:
        """Every botocore service name (``s3``, ``dynamodb``, ...)."""
        if self._services is None:
            self._services = frozenset(self._loader.list_available_services("service-2"))
            self._dirty = True
        return self._services

    def operations(self, service: str) -> frozenset[str]:
        """The operation names of one service (empty for an unknown service)."""
        ops = self._ops.get(service)
        if ops is not None:
            return ops
        if self._fixed or service not in self.services():
            return frozenset()
        with self._lock:
            ops = self._read_operations(service)
            self._ops[service] = ops
            self._dirty = True
        return ops

    def _read_operations(self, service: str) -> frozenset[str]:
        """Operation names from the service's model file.

        botocore's own loader parses the whole model into OrderedDicts (about
        2.5 s for every service); plain json is about three times faster, and
        the names are all that is needed. Falls back to botocore if the files
        are not where botocore's search paths say.
        """
        loader = self._loader
        try:
            version = loader.determine_latest_version(service, "service-2")
            model = self._first_json(os.path.join(service, version, "service-2"))
            if model is not None:
                ops = set(model.get("operations", {}))
                extras = self._first_json(os.path.join(service, version, "service-2.sdk-extras"))
                if extras:
                    ops.update(extras.get("merge", {}).get("operations", {}))
                return frozenset(ops)
        except Exception:
            pass
        return frozenset(loader.load_service_model(service, "service-2").get("operations", {}))

    def _first_json(self, name: str) -> dict | None:
        for base in self._loader.search_paths:
            stem = os.path.join(os.path.expanduser(base), name)
            if os.path.isfile(stem + ".json"):
                with open(stem + ".json", "rb") as fh:
                    return json.loads(fh.read())
            if os.path.isfile(stem + ".json.gz"):
                with gzip.open(stem + ".json.gz", "rb") as fh:
                    return json.loads(fh.read())
        return None

    def all_operations(self) -> dict[str, frozenset[str]]:
        """{service: operations} for every service (loads every model once; cached)."""
        if not self._all_loaded:
            for service in sorted(self.services()):
                self.operations(service)
            self._all_loaded = True
            self._dirty = True
        return {s: self._ops[s] for s in self.services() if s in self._ops}

    def regions(self) -> frozenset[str]:
        """Region names from botocore's endpoint data, across all partitions."""
        if self._regions is None:
            found: set[str] = set()
            try:
                data = self._loader.load_data("endpoints")
                for partition in data.get("partitions", []):
                    found.update(partition.get("regions", {}))
            except Exception:  # an odd botocore: no region check then
                pass
            self._regions = frozenset(found)
            self._dirty = True
        return self._regions


_default: Catalog | None = None
_default_lock = threading.Lock()


def default_catalog() -> Catalog:
    """The process-wide botocore catalog."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Catalog()
        return _default

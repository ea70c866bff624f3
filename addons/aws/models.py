"""botocore's service models, loaded lazily and cached.

The gateway must not load all bundled models (hundreds of MB). What routing
needs up front (which service answers to which host prefix, signing name or
JSON target prefix) comes from an index of each model's `metadata` block,
read from the first few kilobytes of every `service-2.json` without parsing
the operations and shapes.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import botocore.loaders
import botocore.model

_loader = botocore.loaders.create_loader()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A service's identity as its model's metadata states it."""

    name: str
    endpoint_prefix: str
    signing_name: str
    protocols: tuple[str, ...]
    target_prefix: str | None
    global_endpoint: str | None
    api_version: str = ""


@dataclass(frozen=True, slots=True)
class ServiceIndex:
    services: dict[str, ServiceInfo]
    by_endpoint_prefix: dict[str, tuple[str, ...]]
    by_signing_name: dict[str, tuple[str, ...]]
    by_target_prefix: dict[str, str]


def _read_metadata(path: str) -> dict:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(8192).decode("utf-8", "replace")
    start = head.find('"metadata"')
    if start >= 0:
        brace = head.find("{", start)
        try:
            value, _ = json.JSONDecoder().raw_decode(head, brace)
            return value
        except ValueError:
            pass
    # A model laid out differently: parse it whole (rare, and only once).
    with opener(path, "rb") as f:
        return json.load(f)["metadata"]


def _model_path(name: str) -> str | None:
    version = _loader.determine_latest_version(name, "service-2")
    for base in _loader.search_paths:
        for suffix in (".json", ".json.gz"):
            path = os.path.join(base, name, version, "service-2" + suffix)
            if os.path.isfile(path):
                return path
    return None


def _group(pairs) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key, name in pairs:
        out.setdefault(key, []).append(name)
    # The service named like its prefix first: it is the one a bare host means.
    return {
        key: tuple(sorted(names, key=lambda n: (n != key, n)))
        for key, names in out.items()
    }


@lru_cache(maxsize=1)
def service_index() -> ServiceIndex:
    services: dict[str, ServiceInfo] = {}
    for name in _loader.list_available_services("service-2"):
        path = _model_path(name)
        if path is None:
            continue
        meta = _read_metadata(path)
        prefix = meta.get("endpointPrefix") or name
        services[name] = ServiceInfo(
            name=name,
            endpoint_prefix=prefix,
            signing_name=meta.get("signingName") or prefix,
            protocols=tuple(meta.get("protocols") or [meta.get("protocol", "")]),
            target_prefix=meta.get("targetPrefix"),
            global_endpoint=meta.get("globalEndpoint"),
            api_version=meta.get("apiVersion", ""),
        )
    by_target: dict[str, str] = {}
    for info in services.values():
        if info.target_prefix:
            by_target.setdefault(info.target_prefix, info.name)
    return ServiceIndex(
        services=services,
        by_endpoint_prefix=_group((i.endpoint_prefix, n) for n, i in services.items()),
        by_signing_name=_group((i.signing_name, n) for n, i in services.items()),
        by_target_prefix=by_target,
    )


_models: dict[str, botocore.model.ServiceModel] = {}


def service_model(name: str) -> botocore.model.ServiceModel:
    """The bundled model of one service, loaded on first use."""
    model = _models.get(name)
    if model is None:
        with _lock:
            model = _models.get(name)
            if model is None:
                data = _loader.load_service_model(name, "service-2")
                model = botocore.model.ServiceModel(data, service_name=name)
                _models[name] = model
    return model


@lru_cache(maxsize=1)
def partitions() -> list[dict]:
    return _loader.load_data("partitions")["partitions"]

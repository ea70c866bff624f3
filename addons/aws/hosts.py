"""AWS host names: which partition, region and service a host stands for.

Partitions, DNS suffixes and region patterns come from botocore's
`partitions.json`; endpoint prefixes from the service models' metadata. The
few S3 host forms that no model describes (access points, Object Lambda,
Transfer Acceleration, the legacy `s3-REGION` form) are the only table here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import models

# S3 host labels that stand for the s3 service with a twist the models don't state.
_S3_LABELS = {
    "s3-accesspoint": "accesspoint",
    "s3-object-lambda": "object-lambda",
    "s3-accelerate": "accelerate",
    "s3-external-1": "external",
    "s3-global": "global",
}
_LEGACY_S3_REGION = re.compile(r"^s3-(?!accesspoint|object-lambda|accelerate|control|external|global|fips)([a-z0-9-]+)$")


@dataclass(frozen=True, slots=True)
class Partition:
    id: str
    dns_suffix: str
    dual_stack_suffix: str
    region_re: re.Pattern
    global_region: str


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What an AWS host name says. `prefix` is the endpoint prefix found (or
    the leftmost service label when no model knows it); `labels` are the
    labels in front of it (a virtual-hosted bucket, an access point, an
    account id, an operation's host prefix)."""

    host: str
    partition: str
    region: str | None
    prefix: str
    labels: tuple[str, ...]
    fips: bool = False
    dualstack: bool = False
    s3_form: str | None = None  # accesspoint, object-lambda, accelerate, ...
    known: bool = True

    @property
    def services(self) -> tuple[str, ...]:
        return models.service_index().by_endpoint_prefix.get(self.prefix, ())


@lru_cache(maxsize=1)
def _partitions() -> tuple[Partition, ...]:
    out = []
    for p in models.partitions():
        o = p["outputs"]
        out.append(
            Partition(
                id=p["id"],
                dns_suffix=o["dnsSuffix"],
                dual_stack_suffix=o["dualStackDnsSuffix"],
                region_re=re.compile(p["regionRegex"]),
                global_region=o["implicitGlobalRegion"],
            )
        )
    return tuple(out)


# AWS-owned domains that only endpoint rule sets name (OpenSearch memory's
# *.osm.REGION.on.aws, sign-in's REGION.oauth.signin.aws), in the aws partition.
_EXTRA_SUFFIXES = ("on.aws", "signin.aws")


@lru_cache(maxsize=1)
def _suffixes() -> tuple[tuple[str, bool, tuple[Partition, ...]], ...]:
    """(".suffix", dualstack, partitions sharing it), longest suffix first."""
    table: dict[tuple[str, bool], list[Partition]] = {}
    for p in _partitions():
        table.setdefault(("." + p.dns_suffix, False), []).append(p)
        table.setdefault(("." + p.dual_stack_suffix, True), []).append(p)
    aws = [p for p in _partitions() if p.id == "aws"]
    for suffix in _EXTRA_SUFFIXES:
        table.setdefault(("." + suffix, False), aws)
    return tuple(
        sorted(
            ((s, d, tuple(ps)) for (s, d), ps in table.items()),
            key=lambda item: -len(item[0]),
        )
    )


def _region_partition(label: str, candidates: tuple[Partition, ...]) -> Partition | None:
    for p in candidates:
        if p.region_re.match(label):
            return p
    return None


def partition_of_region(region: str) -> str | None:
    p = _region_partition(region, _partitions())
    return p.id if p else None


@lru_cache(maxsize=4096)
def parse_host(host: str) -> HostInfo | None:
    """The AWS meaning of `host`, or None when it is not an AWS host."""
    host = host.lower().rstrip(".")
    if ":" in host and not host.startswith("["):
        host = host.rsplit(":", 1)[0]
    for suffix, dualstack, partitions in _suffixes():
        if host.endswith(suffix) and len(host) > len(suffix):
            return _parse_labels(host, host[: -len(suffix)].split("."), dualstack, partitions)
    return None


def _parse_labels(host, labels, dualstack, partitions) -> HostInfo:
    partition = partitions[0]
    region = None
    fips = False
    s3_form = None
    # The region is the rightmost label matching a partition's region pattern.
    for i in range(len(labels) - 1, -1, -1):
        label = labels[i]
        if label.endswith("-fips"):  # e.g. us-gov-west-1-fips (old form)
            label = label[:-5]
        # api.aws also serves regions of other partitions (cn-north-1.api.aws).
        p = _region_partition(label, partitions) or (_region_partition(label, _partitions()) if dualstack else None)
        if p is not None:
            partition, region, fips = p, label, label != labels[i]
            labels = labels[:i]
            break
    if region is None and labels and labels[-1] == "us-gov":  # iam.us-gov.amazonaws.com
        partition = next((p for p in partitions if p.id == "aws-us-gov"), partition)
        labels = labels[:-1]
    kept = []
    for label in labels:
        if label == "global":  # codecatalyst.global.api.aws
            continue
        if label == "dualstack":
            dualstack = True
        elif label == "fips":
            fips = True
        else:
            kept.append(label)
    labels = kept
    index = models.service_index().by_endpoint_prefix

    # The longest run of rightmost labels that is a known endpoint prefix.
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        stripped = candidate[:-5] if candidate.endswith("-fips") else candidate
        if stripped in index:
            return HostInfo(
                host, partition.id, region, stripped, tuple(labels[:start]),
                fips or stripped != candidate, dualstack,
            )
        s3_key = stripped.split(".")[0] if start == len(labels) - 1 else None
        if s3_key in _S3_LABELS:
            s3_form = _S3_LABELS[s3_key]
            if s3_form == "external":
                region = region or "us-east-1"
            return HostInfo(
                host, partition.id, region, "s3", tuple(labels[:start]),
                fips, dualstack, s3_form,
            )
        legacy = _LEGACY_S3_REGION.match(stripped) if start == len(labels) - 1 else None
        if legacy and _region_partition(legacy.group(1), partitions):
            return HostInfo(
                host, partition.id, legacy.group(1), "s3", tuple(labels[:start]),
                fips, dualstack, "legacy-region",
            )
    prefix = labels[-1] if labels else ""
    return HostInfo(
        host, partition.id, region, prefix, tuple(labels[:-1]), fips, dualstack,
        known=False,
    )


def global_region(partition: str) -> str:
    """The region a partition's global endpoints sign for."""
    for p in _partitions():
        if p.id == partition:
            return p.global_region
    return "us-east-1"

"""The credentials only the gateway holds, and the roles it assumes per agent.

The base credentials come from botocore's default chain (environment,
profiles, SSO, container and instance roles) and are refreshed by botocore.
A role assumed for an agent is cached and refreshed five minutes before it
expires. Nothing here is ever logged or written anywhere.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
from dataclasses import dataclass

import botocore.session

REFRESH_BEFORE = datetime.timedelta(minutes=5)
_SOURCE_ID = re.compile(r"[^\w+=,.@-]")


class NoCredentials(Exception):
    pass


@dataclass(frozen=True)
class Frozen:
    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"Frozen(access_key={self.access_key!r})"


class GatewayCredentials:
    def __init__(self, sts_endpoint: str | None = None):
        self._session = botocore.session.Session()
        self._sts_endpoint = sts_endpoint
        self._base = None
        self._roles: dict[tuple, tuple[Frozen, datetime.datetime]] = {}
        self._locks: dict[tuple, asyncio.Lock] = {}
        self._lock = threading.Lock()

    def base(self) -> Frozen:
        if self._base is None:
            with self._lock:
                if self._base is None:
                    self._base = self._session.get_credentials()
        if self._base is None:
            raise NoCredentials(
                "the gateway has no AWS credentials: set them in its environment, "
                "a profile, SSO, or a container/instance role"
            )
        c = self._base.get_frozen_credentials()
        return Frozen(c.access_key, c.secret_key, c.token)

    async def for_agent(self, agent) -> Frozen:
        """The credentials to sign this agent's calls with."""
        if not agent.role_arn:
            return self.base()
        key = (agent.role_arn, agent.name, agent.session_policy)
        now = datetime.datetime.now(datetime.timezone.utc)
        hit = self._roles.get(key)
        if hit and hit[1] - now > REFRESH_BEFORE:
            return hit[0]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._roles.get(key)
            if hit and hit[1] - now > REFRESH_BEFORE:
                return hit[0]
            creds, expires = await asyncio.to_thread(self._assume, agent)
            self._roles[key] = (creds, expires)
            return creds

    def _assume(self, agent) -> tuple[Frozen, datetime.datetime]:
        base = self.base()
        sts = self._session.create_client(
            "sts", region_name=agent.regions[0] if agent.regions else "us-east-1",
            endpoint_url=self._sts_endpoint,
            aws_access_key_id=base.access_key, aws_secret_access_key=base.secret_key,
            aws_session_token=base.token,
        )
        name = _SOURCE_ID.sub("-", agent.name)
        params = {
            "RoleArn": agent.role_arn,
            "RoleSessionName": f"chaperone-{name}"[:64],
            "SourceIdentity": f"chaperone-{name}"[:64],
        }
        if agent.session_policy:
            params["Policy"] = agent.session_policy
        c = sts.assume_role(**params)["Credentials"]
        return Frozen(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), c["Expiration"]

"""End-to-end helpers on top of addons.lab: boto3 agents configured as a user would."""

from __future__ import annotations

import os
import threading

import boto3
import botocore.config

from addons.lab import Gateway


def agent_client(gateway: Gateway, service: str, key: str, secret: str, region: str = "us-east-1", **config):
    """A boto3 client whose environment is an agent's: real AWS host names,
    HTTPS_PROXY and AWS_CA_BUNDLE, no endpoint override."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(gateway.agent_env(key, secret, region))
        session = boto3.session.Session()
        cfg = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, **config)
        return session.client(service, config=cfg)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def in_thread(fn):
    """Run `fn` in a thread (an agent waiting on a held call); the result dict
    gets its "value" or the "error" it raised."""
    result = {}

    def run():
        try:
            result["value"] = fn()
        except Exception as e:  # noqa: BLE001 - the test looks at what was raised
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    return t, result

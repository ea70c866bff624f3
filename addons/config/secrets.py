"""Secrets that configuration files point at (never hold): a 0600 file
beside the file, or an environment variable."""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

import yaml

MIN_LENGTH = 20


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode()


def read_secret(src, m: dict, node, label: str, base: Path, environ) -> str | None:
    """The secret an entry names with `secret_file` or `secret_env`; problems go to `src`."""
    if ("secret_env" in m) == ("secret_file" in m):
        src.error(node, f"{label}: needs exactly one of 'secret_file' or 'secret_env'")
        return None
    if "secret_env" in m:
        var = src.text(m["secret_env"][1], "secret_env", label)
        value = environ.get(var) if var else None
        if var and not value:
            src.error(m["secret_env"][1], f"{label}: environment variable {var!r} (secret_env) is not set")
        return value or None
    where = m["secret_file"][1]
    name = src.text(where, "secret_file", label)
    if name is None:
        return None
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        mode = path.stat().st_mode
        value = path.read_text().strip()
    except OSError as e:
        src.error(where, f"{label}: cannot read secret_file {str(path)!r}: {e.strerror}")
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        src.error(where, f"{label}: secret_file {str(path)!r} is readable by others; run: chmod 600 {path}")
        return None
    if len(value) < MIN_LENGTH:
        src.error(where, f"{label}: the secret in {str(path)!r} is too short to be one chaperone made")
        return None
    return value


def write_secret(config: Path, name: str, secret: str) -> str:
    """Write `secret` to secrets/NAME.secret beside `config` (mode 0600); returns the relative path."""
    folder = Path(config).resolve().parent / "secrets"
    folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(folder / f"{name}.secret", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return f"secrets/{name}.secret"


def delete_secret(config: Path, relative: str) -> None:
    path = Path(relative)
    (path if path.is_absolute() else Path(config).resolve().parent / path).unlink(missing_ok=True)


def write_yaml(path: Path, data: dict) -> None:
    """Replace a configuration file atomically (a running gateway never reads half of it)."""
    tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    os.replace(tmp, path)

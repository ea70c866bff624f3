"""A configuration file kept in force while it changes on disk.

It is read once when configured (a failure there is the caller's to report:
the gateway must not start on it), then re-read when its modification time
or size changes, checked at most once a second. A reload that fails keeps
the last good value in force and says why.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("chaperone")


class Watched(Generic[T]):
    def __init__(self, what: str, read: Callable[[str], T], interval: float = 1.0):
        self.what = what
        self._read = read
        self._interval = interval
        self.path: str | None = None
        self.value: T | None = None
        self.last_error: str | None = None
        self._stamp: tuple | None = None
        self._checked = 0.0

    def load(self, path: str) -> T:
        """Read `path` now; raises whatever the reader raises, keeping the old value."""
        stamp = _stamp(path)
        value = self._read(path)
        self.path, self.value, self._stamp = path, value, stamp
        self.last_error = None
        return value

    def current(self) -> T | None:
        """The value in force, after reloading the file if it changed."""
        now = time.monotonic()
        if self.path is not None and now - self._checked >= self._interval:
            self._checked = now
            stamp = _stamp(self.path)
            if stamp != self._stamp:
                self._reload(stamp)
        return self.value

    def _reload(self, stamp) -> None:
        try:
            self.value = self._read(self.path)
        except Exception as e:  # noqa: BLE001 - any failure keeps the last good value
            self._stamp = stamp  # report once per change, not once a second
            message = str(e).replace("\n", "; ")
            if message != self.last_error:
                log.error("chaperone: %s %s did not reload, the previous one stays in force: %s", self.what, self.path, message)
            self.last_error = message
            return
        self._stamp = stamp
        self.last_error = None
        log.info("chaperone: reloaded %s %s", self.what, self.path)


def _stamp(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)

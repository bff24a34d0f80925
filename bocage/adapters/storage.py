"""Content-addressed files on local disk: the key is the sha256 of the bytes plus an extension.

The same bytes are stored once; a key says nothing about who uploaded it. A file is written
whole or not at all: to a temporary file, synced, then renamed to its key; a failure (a full
disk: `StorageFull`) removes the temporary file. Storing bytes already there touches the
file, so that `remove` (of an upload never posted) spares a file just stored again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from bocage.store import full

KEY_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{2,5}$")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, extension: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
        path = self.root / key
        if path.exists():
            with contextlib.suppress(OSError):
                os.utime(path)
        else:
            with full.translated():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_whole(path, data)
        return key

    def remove(self, key: str, stored_before: float) -> bool:
        """Remove the file for `key` unless it was stored (or stored again) at or after
        `stored_before` (a POSIX time); whether it was removed."""
        path = self.path(key)
        if path is None:
            return False
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < stored_before:
                path.unlink()
                return True
        return False

    def path(self, key: str) -> Path | None:
        """The file for `key`, or None if the key is malformed or unknown."""
        if not KEY_RE.match(key):
            return None
        path = self.root / key
        return path if path.is_file() else None


def _write_whole(path: Path, data: bytes) -> None:
    """Write then rename: a crash never leaves a half-written file under a valid key, and a
    failed write leaves no file at all."""
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):  # closing flushes: it may fail the same way
                handle.close()
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)

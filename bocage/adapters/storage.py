"""Content-addressed files on local disk: the key is the sha256 of the bytes plus an extension.

The same bytes are stored once; a key says nothing about who uploaded it. A file is written
whole or not at all: to a temporary file, synced, then renamed to its key; a failure (a full
disk: `StorageFull`) removes the temporary file.
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
        if not path.exists():
            with full.translated():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_whole(path, data)
        return key

    def remove(self, key: str) -> None:
        """Remove the file for `key` (a cached remote file evicted); nothing if it is gone."""
        if KEY_RE.match(key):
            (self.root / key).unlink(missing_ok=True)

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

"""Content-addressed files on local disk: the key is the sha256 of the bytes plus an extension.

The same bytes are stored once; a key says nothing about who uploaded it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

KEY_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{2,5}$")


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, extension: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half-written file under a valid key.
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, path)
        return key

    def path(self, key: str) -> Path | None:
        """The file for `key`, or None if the key is malformed or unknown."""
        if not KEY_RE.match(key):
            return None
        path = self.root / key
        return path if path.is_file() else None

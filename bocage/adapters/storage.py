"""Content-addressed files on local disk (the default `MediaStore`, services/ports.py): the
key is the sha256 of the bytes plus an extension.

The same bytes are stored once; a key says nothing about who uploaded it. A file is written
whole or not at all: to a temporary file, synced, then renamed to its key; a failure (a full
disk: `StorageFull`) removes the temporary file. Storing bytes already there touches the
file, so that `remove` (of an upload never posted) spares a file just stored again. Every
key is checked against `KEY_RE` before it touches the file system, so no key reaches outside
the media directory. The S3 store (adapters/s3.py) uses the same keys.
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


def key_for(data: bytes, extension: str) -> str:
    """The key of `data`: its sha-256, spread over two levels of directories."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"
    if not KEY_RE.match(key):
        raise ValueError(f"not a storable extension: {extension!r}")
    return key


def valid(key: str) -> bool:
    return KEY_RE.match(key) is not None


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, extension: str) -> str:
        key = key_for(data, extension)
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
        if not valid(key):
            return None
        path = self.root / key
        return path if path.is_file() else None

    def size(self, key: str) -> int | None:
        if not valid(key):
            return None
        try:
            return os.stat(self.root / key).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def open(self, key: str, start: int, stop: int) -> FileRange | None:
        if not valid(key):
            return None
        try:
            fd = os.open(self.root / key, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return FileRange(fd, start, stop)

    def delete(self, key: str) -> bool:
        if not valid(key):
            return False
        try:
            os.unlink(self.root / key)
        except FileNotFoundError:
            return False
        return True

    def public_url(self, key: str) -> str | None:
        return None  # served by the node


class FileRange:
    """Bytes `start` to `stop` of an open file, read with `pread` (no shared position)."""

    def __init__(self, fd: int, start: int, stop: int) -> None:
        self._fd, self._at, self._stop = fd, start, stop

    def read(self, size: int, /) -> bytes:
        size = min(size, self._stop - self._at)
        if size <= 0:
            return b""
        chunk = os.pread(self._fd, size, self._at)
        self._at += len(chunk)
        return chunk

    def close(self) -> None:
        os.close(self._fd)


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

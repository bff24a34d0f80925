"""The data directory and every file that holds a secret are private to the node's user.

`bocage.toml` holds the secret the private keys are sealed with; the database holds every
account's sealed keys, password hashes and private posts; a backup holds the database. Other
users of the machine must read none of them. So:

- the `bocage` command sets its umask to 0o077 first thing (`private_umask`): whatever the
  node creates (database, its `-wal` and `-shm`, media, backups) is its user's alone;
- at every command's start, `make_private` tightens the data directory (0700) and the files
  with secrets (0600) when group or others may read them, and says so: a clear warning that
  names the file and its old mode (a node set up before this, or a file copied by hand), or,
  when it cannot (not the file's owner), the `chmod` to run;
- files with secrets are written through `write_private`: created 0600, never readable by
  others even for a moment, and replaced atomically (a crash leaves the old file or the new).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def secret_files(data_dir: Path, sqlite_file: Path | None) -> list[Path]:
    """The files that hold secrets, those that exist: settings, and a SQLite database with
    its companion files (wherever the database lives)."""
    candidates = [data_dir / "bocage.toml"]
    if sqlite_file is not None:
        candidates += [sqlite_file.with_name(sqlite_file.name + end) for end in SQLITE_COMPANIONS]
    return [path for path in candidates if path.is_file()]


def make_private(data_dir: Path, sqlite_file: Path | None) -> list[str]:
    """Tighten what others may read; one warning per path that needed it."""
    warnings = []
    if data_dir.is_dir():
        warnings += _tighten(data_dir, DIRECTORY_MODE, "the data directory")
    for path in secret_files(data_dir, sqlite_file):
        warnings += _tighten(path, FILE_MODE, _what(path))
    return warnings


def _what(path: Path) -> str:
    if path.name == "bocage.toml":
        return "the settings, with the secret the private keys are sealed with"
    return "the database, with every account's keys, password hashes and private posts"


def _tighten(path: Path, mode: int, what: str) -> list[str]:
    current = stat.S_IMODE(path.stat().st_mode)
    if not current & 0o077:
        return []
    octal = f"{mode:o}"
    try:
        path.chmod(mode)
    except OSError:
        return [
            f"{path} ({what}) can be read by other users of this machine (mode "
            f"{current:04o}) and could not be made private: run `chmod {octal} {path}`"
        ]
    return [
        f"{path} ({what}) could be read by other users of this machine (mode {current:04o}); "
        f"it is now private (`chmod {octal} {path}`)"
    ]


def write_private(path: Path, text: str) -> None:
    """Write `path` (mode 0600) atomically: a temporary file beside it, synced, renamed."""
    path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    with os.fdopen(open_private(temporary), "wb") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_directory(path.parent)


def open_private(path: Path) -> int:
    """A file descriptor of `path` for writing, truncated, mode 0600 even if it existed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return descriptor


def _sync_directory(directory: Path) -> None:
    """Make a rename durable (the directory entry), where the system allows it."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

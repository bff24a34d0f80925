"""What a merge can leave behind unnoticed: conflict markers in a docstring or a doc still
import and run, so no other test would fail on them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(rb"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def test_no_conflict_markers_in_tracked_files() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    names = [name for name in listed.decode().split("\0") if name]
    found = []
    for name in names:
        path = ROOT / name
        if path.is_file() and path.suffix in {".py", ".md", ".toml", ".html", ".js", ".css", ""}:
            if MARKER.search(path.read_bytes()):
                found.append(name)
    assert not found, f"conflict markers left in {found}"

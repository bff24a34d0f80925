"""The atheris targets (tests/atheris_targets.py) run for a few thousand inputs each,
coverage-guided from real documents: none may crash. A crash prints the input that made it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")  # a binary wheel exists for CPython 3.11 (atheris 3.0.0)

DATA = Path(__file__).parent / "data"
SEEDS = {
    "remote_document": sorted((DATA / "payloads").glob("*/*.json")),
    "signature_headers": sorted((DATA / "httpsig").glob("*")),
    "html": [],
    "numbers": [],
}
HTML_SEEDS = [b'<p>a <a href="https://x.example/">b</a><script>x</script></p>',
              b'<img src=x onerror=alert(1)><a href="javascript:x">y</a>']  # fmt: skip


@pytest.mark.parametrize("target", sorted(SEEDS))
def test_no_input_crashes_a_parser(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"  # libFuzzer adds the inputs it finds to its first corpus
    corpus.mkdir()
    for seed in SEEDS[target]:
        if seed.is_file():
            shutil.copy(seed, corpus / seed.name)
    for n, seed_bytes in enumerate(HTML_SEEDS if target == "html" else []):
        (corpus / f"seed{n}").write_bytes(seed_bytes)
    ran = subprocess.run(
        [sys.executable, "-m", "tests.atheris_targets", target, "-runs=4000",
         "-max_len=16384", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "Done 4000 runs" in ran.stderr

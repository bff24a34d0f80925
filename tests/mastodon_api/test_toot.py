"""The `toot` command-line client against a real node: log in with e-mail and password,
post, read the status and the home timeline, delete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.federation.helpers import PASSWORD
from tests.processes import NodeProcess

pytestmark = pytest.mark.slow
TOOT = Path(sys.executable).with_name("toot")


def toot(config: Path, *args: str) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(config)}
    done = subprocess.run(
        [str(TOOT), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, f"toot {args[0]}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_toot_logs_in_posts_reads_and_deletes(api_node: NodeProcess, tmp_path: Path) -> None:
    login = toot(
        tmp_path, "login_cli", "--instance", api_node.url,
        "--email", "bob@example.org", "--password", PASSWORD,
    )  # fmt: skip
    assert "Successfully logged in" in login
    me = json.loads(toot(tmp_path, "whoami", "--json"))
    assert me["username"] == "bob"

    posted = json.loads(toot(tmp_path, "post", "Hello from toot", "--json"))
    assert "Hello from toot" in posted["content"]
    shown = json.loads(toot(tmp_path, "status", posted["id"], "--json"))
    assert shown["id"] == posted["id"] and shown["account"]["acct"] == "bob"
    assert "Hello from toot" in toot(tmp_path, "timeline", "--once", "--count", "5")

    toot(tmp_path, "delete", posted["id"])
    assert "Hello from toot" not in toot(tmp_path, "timeline", "--once", "--count", "5")

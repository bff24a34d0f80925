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

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_toot")]
OWN_NODE = True  # its tests look at everything on the node (tests/mastodon_api/conftest.py)
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


def test_toot_everyday_commands(api_node: NodeProcess, tmp_path: Path) -> None:
    """Timelines as JSON, a poll and a vote, a scheduled post, lists, search, notifications
    and the instance, each through toot's own commands."""
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for config, who in ((alice, "alice"), (bob, "bob")):
        toot(
            config, "login_cli", "--instance", api_node.url,
            "--email", f"{who}@example.org", "--password", PASSWORD,
        )  # fmt: skip
    assert json.loads(toot(bob, "instance", "--json"))["uri"] == api_node.url.split("//")[1]
    toot(bob, "follow", "alice")

    asked = json.loads(
        toot(
            alice, "post", "Hazel or holly? #hedgepoll", "--json",
            "--poll-option", "hazel", "--poll-option", "holly", "--poll-expires-in", "1h",
        )
    )  # fmt: skip
    assert [o["title"] for o in asked["poll"]["options"]] == ["hazel", "holly"]
    home = json.loads(toot(bob, "timelines", "home", "--json", "--no-pager", "--no-clear"))
    assert isinstance(home, list)
    toot(bob, "polls", "vote", asked["poll"]["id"], "1")
    assert "holly" in toot(bob, "polls", "show", asked["poll"]["id"])

    later = json.loads(toot(alice, "post", "Tomorrow's post", "--scheduled-in", "1d", "--json"))
    assert "scheduled_at" in later and later["params"]["text"] == "Tomorrow's post"

    toot(bob, "lists", "create", "Hedgers")
    toot(bob, "lists", "add", "Hedgers", "alice")
    lists = json.loads(toot(bob, "lists", "list", "--json"))
    assert [entry["title"] for entry in lists] == ["Hedgers"]
    assert "alice" in toot(bob, "lists", "accounts", "Hedgers")

    found = json.loads(toot(bob, "search", "hedgepoll", "--json"))
    assert [tag["name"] for tag in found["hashtags"]] == ["hedgepoll"]
    toot(bob, "favourite", asked["id"])
    notified = json.loads(toot(alice, "notifications", "--json"))
    assert "favourite" in [n["type"] for n in notified]

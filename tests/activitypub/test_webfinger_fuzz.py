"""Property tests of WebFinger both ways: any `resource` asked of this node names one of its
accounts or nobody (a name no account could have is never looked up), and any answer a
remote server gives (its JRD) points at an actor URL that can be kept, or at nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bocage.activitypub import discovery
from bocage.activitypub.actors import INSTANCE_ACTOR_NAME
from bocage.core.accounts import accounts
from bocage.federation import normalize
from bocage.kernel.context import Context
from tests.conftest import make_settings
from tests.fuzz import JSON, TEXT, mutated

CTX = Context.from_settings(make_settings(Path("/nonexistent"), "sqlite://"))
DOMAIN = CTX.settings.domain
JRD = {
    "subject": "acct:alice@social.example",
    "aliases": ["https://social.example/@alice", "https://social.example/users/alice"],
    "links": [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
         "href": "https://social.example/@alice"},
        {"rel": "self", "type": "application/activity+json",
         "href": "https://social.example/users/alice"},
    ],
}  # fmt: skip
RESOURCES = st.one_of(
    TEXT,
    st.builds(lambda prefix, name, at: f"{prefix}{name}@{at}",
              st.sampled_from(["acct:", "", "@", "acct:@"]), TEXT | st.just("alice"),
              st.sampled_from([DOMAIN, DOMAIN.upper(), "elsewhere.example"])),
    st.builds(lambda path, name: f"{CTX.urls.base}{path}{name}",
              st.sampled_from(["/users/", "/@", "/"]), TEXT | st.just("alice")),
)  # fmt: skip


@settings(max_examples=300)
@given(RESOURCES)
@example(f"acct:%00@{DOMAIN}")  # was looked up as a NUL character (a 500 on PostgreSQL)
@example(f"acct:alice\n@{DOMAIN}")
@example(f"{CTX.urls.base}/users/al%2Fice")
def test_a_resource_names_a_possible_account_or_nobody(resource: str) -> None:
    name = discovery.username_of(CTX, resource)
    assert name is None or name == INSTANCE_ACTOR_NAME or accounts.USERNAME_RE.fullmatch(name)


def test_the_names_people_use_are_found() -> None:
    for resource in (f"acct:alice@{DOMAIN}", f"alice@{DOMAIN.upper()}", f"@alice@{DOMAIN}",
                     f"{CTX.urls.base}/users/alice", f"{CTX.urls.base}/@alice"):  # fmt: skip
        assert discovery.username_of(CTX, resource) == "alice", resource
    assert discovery.username_of(CTX, f"acct:{DOMAIN}@{DOMAIN}") == INSTANCE_ACTOR_NAME


@settings(max_examples=300)
@given(st.one_of(mutated([JRD], ["links", "subject"]), st.dictionaries(TEXT, JSON, max_size=3),
                 st.builds(lambda links: {"links": links}, JSON)))  # fmt: skip
@example({"links": [{"rel": "self", "type": None, "href": "https://x.example/u"}]})  # was a crash
@example({"links": {"rel": "self", "type": "application/activity+json", "href": ["x"]}})
def test_any_remote_answer_points_at_an_actor_or_nothing(jrd: dict[str, Any]) -> None:
    try:
        received = normalize.loads(json.dumps(jrd).encode())  # as the client reads it
    except normalize.Malformed:
        return
    found = normalize.actor_link(received)
    assert found is None or (isinstance(found, str) and len(found) <= normalize.MAX_URI)


def test_the_self_link_of_a_real_answer_is_found() -> None:
    assert normalize.actor_link(JRD) == "https://social.example/users/alice"

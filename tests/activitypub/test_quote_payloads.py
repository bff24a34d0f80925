"""Mastodon's quote payloads (tests/data/payloads/mastodon/quote_*.json, note_quote.json: its
spec inputs, see the README there) and a Misskey capture, read by the normalizer and judged
by the rules of core/quotes: what a Note quotes and the authorization it names, who may
quote a post (`interactionPolicy.canQuote`), and the verdict on a QuoteAuthorization, the
same document with each of Mastodon's checks broken."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bocage.core.quotes.policy import QuotePolicy, Quoter, Standing, read_can_quote, standing
from bocage.core.quotes.quotes import RemoteQuote
from bocage.core.quotes.states import Seen, Shown, shown
from bocage.core.quotes.verify import authorization
from bocage.federation import normalize
from tests.fuzz import payloads

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
(NOTE, AUTHORIZATION, REQUEST, MISSKEY, GOTOSOCIAL) = payloads(
    "mastodon/note_quote.json",
    "mastodon/quote_authorization.json",
    "mastodon/quote_request.json",
    "misskey/note_quote.json",
    "gotosocial/create_note.json",
)


def verdict(document: dict[str, Any] | None) -> Any:
    return authorization(
        document,
        approval_uri=NOTE["quoteAuthorization"],
        quoting_uri=NOTE["id"],
        quoted_uri=NOTE["quote"],
        quoted_author_uri=AUTHORIZATION["attributedTo"],
    )


def test_a_mastodon_note_names_what_it_quotes_and_its_authorization() -> None:
    post = normalize.post(NOTE)
    assert post.quote == RemoteQuote(
        "https://b.example.com/users/quoted/statuses/1", "https://b.example.com/approvals/1234"
    )
    assert post.can_quote is None  # no interactionPolicy: nobody but its author may quote it


def test_a_misskey_quote_is_read_from_its_own_names() -> None:
    post = normalize.post(MISSKEY)
    assert post.quote == RemoteQuote("https://misskey.io/notes/8vs6wxufd0", None)


def test_a_deleted_quote_is_a_tombstone() -> None:
    gone = {**NOTE, "quote": {"type": "Tombstone"}}
    assert normalize.post(gone).quote is None


def test_the_quote_request_reads_as_an_activity() -> None:
    incoming = normalize.activity(REQUEST)
    assert (incoming.type, incoming.object_id) == (
        "QuoteRequest",
        "https://cb6e6126.ngrok.io/users/recipient/statuses/1",
    )
    assert normalize.uri_of(incoming.raw["instrument"]) == "https://example.com/unknown-status"


def test_mastodons_authorization_is_accepted() -> None:
    assert verdict(AUTHORIZATION).accepted


@pytest.mark.parametrize(
    ("field", "value", "final"),
    [
        ("type", "ReplyAuthorization", False),
        ("attributedTo", "https://b.example.com/users/someone_else", False),
        ("attributedTo", "https://evil.example/users/quoted", False),
        ("interactingObject", "https://a.example.com/users/quoting/statuses/2", False),
        ("interactionTarget", "https://b.example.com/users/quoted/statuses/2", False),
        ("id", "https://evil.example/approvals/1234", True),
    ],
)
def test_each_check_of_mastodon_refuses(field: str, value: str, final: bool) -> None:
    broken = copy.deepcopy(AUTHORIZATION)
    broken[field] = value
    judged = verdict(broken)
    assert not judged.accepted
    assert judged.final is final


def test_an_authorization_gone_is_a_final_no() -> None:
    judged = verdict(None)
    assert (judged.accepted, judged.final) == (False, True)


def test_can_quote_as_gotosocial_and_mastodon_write_it() -> None:
    author = "https://b.example.com/users/quoted"
    followers = f"{author}/followers"
    assert normalize.can_quote(GOTOSOCIAL["object"]) is None  # canLike…, no canQuote
    mastodon = {"interactionPolicy": {"canQuote": {"automaticApproval": "as:Public"}}}
    read = normalize.can_quote(mastodon)
    assert read == {"automaticApproval": (PUBLIC,), "manualApproval": ()}
    assert read_can_quote(read, author, followers, None) == QuotePolicy(frozenset({"public"}))
    gts = {
        "interactionPolicy": {
            "canQuote": {
                "automaticApproval": [author, followers],
                "manualApproval": [PUBLIC, "https://elsewhere.example/users/x"],
            }
        }
    }
    policy = read_can_quote(normalize.can_quote(gts), author, followers, None)
    assert policy.listed("automatic") == ["followers"]
    assert policy.listed("manual") == ["unsupported_policy", "public"]
    assert standing(policy, "public", Quoter(follows_author=True)) is Standing.AUTOMATIC
    assert standing(policy, "public", Quoter()) is Standing.MANUAL
    nobody = read_can_quote({"automaticApproval": (author,)}, author, followers, None)
    assert standing(nobody, "public", Quoter()) is Standing.DENIED
    assert standing(nobody, "public", Quoter(is_author=True)) is Standing.AUTOMATIC
    assert standing(QuotePolicy(frozenset({"public"})), "direct", Quoter()) is Standing.DENIED


def test_how_an_accepted_quote_is_shown() -> None:
    assert shown("accepted", Seen(True, True)) is Shown.ACCEPTED
    assert shown("accepted", Seen(False, False)) is Shown.DELETED
    assert shown("accepted", Seen(True, False)) is Shown.UNAUTHORIZED
    assert shown("accepted", Seen(True, True, blocked_account=True)) is Shown.BLOCKED_ACCOUNT
    assert shown("accepted", Seen(True, True, muted_account=True)) is Shown.MUTED_ACCOUNT
    assert shown("revoked", Seen(True, True)) is Shown.REVOKED

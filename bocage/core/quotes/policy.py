"""Who may quote a post: Mastodon's quote approval policy, and where a would-be quoter stands.

A post carries two sets of keys (`automatic`, `manual`), as Mastodon's flags: `public`,
`followers`, `following`, `unsupported_policy`. A local post's are chosen by its author
(`public`, `followers` or `nobody`, the API's `quote_approval_policy`), and a post that is not
public or unlisted is quotable by its author alone (Mastodon downgrades it). Another server's
come from its Note's `interactionPolicy.canQuote` (federation/normalize.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bocage.core.reading.visibility import OPEN, Visibility
from bocage.kernel.errors import InvalidInput

# In the order Mastodon lists them (its flags, lowest bit first).
KEYS = ("unsupported_policy", "public", "followers", "following")


class Choice(StrEnum):
    """What an author may choose for a post (the API's `quote_approval_policy`)."""

    PUBLIC = "public"
    FOLLOWERS = "followers"
    NOBODY = "nobody"

    @classmethod
    def parse(cls, value: str) -> Choice:
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput(
                "Validation failed: quote_approval_policy must be one of public, followers, nobody"
            ) from None


DEFAULT_CHOICE = Choice.PUBLIC  # Mastodon's `posting:default:quote_policy` when unset


class Standing(StrEnum):
    """How a policy applies to one account (the Status entity's `quote_approval.current_user`)."""

    AUTOMATIC = "automatic"  # their quote is accepted at once
    MANUAL = "manual"  # their quote waits for the author
    UNKNOWN = "unknown"  # the policy names people this node cannot tell apart
    DENIED = "denied"


@dataclass(frozen=True)
class QuotePolicy:
    automatic: frozenset[str] = frozenset()
    manual: frozenset[str] = frozenset()

    @classmethod
    def stored(cls, automatic: str, manual: str) -> QuotePolicy:
        """From a post's columns (comma-separated keys)."""
        return cls(_keys(automatic), _keys(manual))

    @classmethod
    def chosen(cls, choice: Choice, visibility: str) -> QuotePolicy:
        """A local post's policy: the author's choice, nobody for a post that is not public
        or unlisted (as Mastodon's `downgrade_quote_policy`)."""
        if choice is Choice.NOBODY or Visibility(visibility) not in OPEN:
            return cls()
        return cls(frozenset({choice.value}))

    def columns(self) -> dict[str, str]:
        return {"quote_automatic": _join(self.automatic), "quote_manual": _join(self.manual)}

    def listed(self, kind: str) -> list[str]:
        """The keys of `automatic` or `manual`, in Mastodon's order."""
        keys = self.automatic if kind == "automatic" else self.manual
        return [key for key in KEYS if key in keys]

    @property
    def choice(self) -> Choice:
        """A local post's policy as the API names it."""
        if "public" in self.automatic:
            return Choice.PUBLIC
        if "followers" in self.automatic:
            return Choice.FOLLOWERS
        return Choice.NOBODY


def _keys(stored: str) -> frozenset[str]:
    return frozenset(key for key in stored.split(",") if key in KEYS)


def _join(keys: frozenset[str]) -> str:
    return ",".join(key for key in KEYS if key in keys)


@dataclass(frozen=True)
class Quoter:
    """What is known of a would-be quoter, as the policy asks it."""

    is_author: bool = False
    follows_author: bool = False
    followed_by_author: bool = False


def standing(policy: QuotePolicy, visibility: str, quoter: Quoter | None) -> Standing:
    """Mastodon's `quote_policy_for_account`: nobody logged in, and any direct post, is
    denied; its author always may; then the automatic keys, then the manual ones."""
    if quoter is None or visibility == Visibility.DIRECT:
        return Standing.DENIED
    if quoter.is_author:
        return Standing.AUTOMATIC
    for keys, answer in ((policy.automatic, Standing.AUTOMATIC), (policy.manual, Standing.MANUAL)):
        if "public" in keys:
            return answer
        if "followers" in keys and quoter.follows_author:
            return answer
        if "following" in keys and quoter.followed_by_author:
            return answer
    if "unsupported_policy" in policy.automatic | policy.manual:
        return Standing.UNKNOWN
    return Standing.DENIED


def may_quote(visibility: str, standing_of: Standing) -> bool:
    """Mastodon's `StatusPolicy#quote?`: a public, unlisted or followers-only post, by one
    the policy does not deny (a boost is never quoted: the post it wraps is)."""
    return visibility != Visibility.DIRECT and standing_of is not Standing.DENIED


def can_quote_field(
    policy: QuotePolicy, author_uri: str, followers_uri: str, following_uri: str
) -> dict[str, list[str]]:
    """A Note's `interactionPolicy.canQuote`, as Mastodon writes it: only automatic approval
    is sent; nobody is written as the author alone."""
    approved = []
    if "public" in policy.automatic:
        approved.append(PUBLIC)
    if "followers" in policy.automatic:
        approved.append(followers_uri)
    if "following" in policy.automatic:
        approved.append(following_uri)
    return {"automaticApproval": approved or [author_uri]}


PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}


def read_can_quote(
    value: object, author_uri: str, followers_uri: str | None, following_uri: str | None
) -> QuotePolicy:
    """Another server's `interactionPolicy.canQuote` (Mastodon's reading): Public,
    the author's followers or following collections become keys; the author alone names no
    one else; anyone else named makes it `unsupported_policy`. None given: nobody."""
    if not isinstance(value, dict):
        return QuotePolicy()

    def keys(given: object) -> frozenset[str]:
        listed = list(given) if isinstance(given, list | tuple) else [given] if given else []
        found: set[str] = set()
        for item in listed:
            uri = item.get("id") if isinstance(item, dict) else item
            if not isinstance(uri, str):
                continue
            if uri in PUBLIC_ALIASES:
                found.add("public")
            elif followers_uri and uri == followers_uri:
                found.add("followers")
            elif following_uri and uri == following_uri:
                found.add("following")
            elif uri != author_uri:
                found.add("unsupported_policy")
        return frozenset(found)

    return QuotePolicy(keys(value.get("automaticApproval")), keys(value.get("manualApproval")))

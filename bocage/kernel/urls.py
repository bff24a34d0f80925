"""Where things live: every URL and ActivityStreams id this node mints, and the one way any
layer reads the server a URL names (`host`, `same_origin`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Urls:
    base: str  # "https://example.org", no trailing slash

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    def post(self, username: str, post_id: int) -> str:
        return f"{self.base}/users/{username}/statuses/{post_id}"

    def replies(self, username: str, post_id: int) -> str:
        return f"{self.post(username, post_id)}/replies"

    def post_page(self, username: str, post_id: int) -> str:
        return f"{self.base}/@{username}/{post_id}"

    def context(self, root_id: int) -> str:
        """A thread's context (FEP-7888), known by its root post's id."""
        return f"{self.base}/contexts/{root_id}"

    def quote_authorization(self, username: str, quote_id: int) -> str:
        """A QuoteAuthorization the account gave (FEP-044f), where Mastodon serves its own."""
        return f"{self.base}/users/{username}/quote_authorizations/{quote_id}"

    def quote_request(self, username: str, quote_id: int) -> str:
        """The id of the QuoteRequest the account sent for a quote (Mastodon's form)."""
        return f"{self.base}/users/{username}#quote_requests/{quote_id}"

    def activity(self, username: str, activity_id: int) -> str:
        return f"{self.base}/users/{username}/activities/{activity_id}"

    def followers(self, username: str) -> str:
        return f"{self.base}/users/{username}/followers"

    def following(self, username: str) -> str:
        return f"{self.base}/users/{username}/following"

    def inbox(self, username: str) -> str:
        return f"{self.base}/users/{username}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.base}/users/{username}/outbox"

    def featured(self, username: str) -> str:
        return f"{self.base}/users/{username}/collections/featured"

    def featured_collections(self, username: str) -> str:
        """The account's collections of accounts (the actor's `featuredCollections`)."""
        return f"{self.base}/users/{username}/featured_collections"

    def featured_collection(self, username: str, collection_id: int) -> str:
        """A collection of accounts (Mastodon 4.6's FeaturedCollection)."""
        return f"{self.featured_collections(username)}/{collection_id}"

    def feature_authorization(self, username: str, grant_id: int) -> str:
        """The account's consent to be in a collection (FEP-7aa9's FeatureAuthorization)."""
        return f"{self.base}/users/{username}/feature_authorizations/{grant_id}"

    def featured_tags(self, username: str) -> str:
        return f"{self.base}/users/{username}/collections/tags"

    def tagged(self, username: str, tag: str) -> str:
        """The account's posts with a hashtag (its profile, filtered)."""
        return f"{self.base}/@{username}/tagged/{tag.lower()}"

    def key_id(self, username: str) -> str:
        """The id of the account's RSA key, as HTTP signatures name it (Mastodon's form)."""
        return f"{self.actor(username)}#main-key"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        """The node itself as an actor (signs fetches made on no one's behalf)."""
        return f"{self.base}/actor"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name.lower()}"

    def media(self, storage_key: str) -> str:
        return f"{self.base}/media/{storage_key}"


@lru_cache(maxsize=4096)
def host(uri: str) -> str:
    """The host[:port] of `uri`; "" for one that names none (`https://[x` does not parse).
    Cached: every delivery asks it of the same actors again and again."""
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def same_origin(a: str, b: str) -> bool:
    return host(a) == host(b) and bool(host(a))

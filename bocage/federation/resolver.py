"""Dereferencing: remote actors, keys and posts, from the database or fetched and cached.

Fetches are signed by the instance actor (servers in authorized-fetch mode answer only
signed GETs) and go through the SSRF-safe client. What comes back is normalized, checked
against where it came from, and handed to the core.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urldefrag

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.authorship import portable
from bocage.core.content import text
from bocage.core.inbound import remote
from bocage.core.inbound.verdicts import Verdict
from bocage.core.instance import instance
from bocage.core.instance.domains import DomainRules
from bocage.core.quotes import verify
from bocage.crypto.keys import KeyFormatError, public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.federation import normalize
from bocage.federation.client import FederationClient, FetchError, Signer
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.store import queue
from bocage.store.db import Database
from bocage.store.models import Account, Post, RemoteActor

log = logging.getLogger("bocage.activitypub")
MAX_THREAD_DEPTH = 8  # parents fetched above a reply, at most
MAX_QUOTE_DEPTH = 2  # quotes of quotes fetched and verified, at most (Mastodon's limit)
GONE = (404, 410)  # answers that say an authorization is no more
MAX_REPLIES = 20  # replies fetched below a post fetched for itself
MAX_REPLY_PAGES = 3
KEY_CACHE_SECONDS = 300.0
KEY_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class KnownActor:
    account: Account
    actor: RemoteActor | None  # None for our own accounts


class Resolver:
    def __init__(
        self,
        db: Database,
        ctx: Context,
        client: FederationClient,
        rules: Callable[[], Awaitable[DomainRules]],
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.client = client
        self.rules = rules  # the admin's domain blocks: no fetch from a suspended server
        self._signer: Signer | None = None
        # key id → (owner, PEM, when cached): every inbox POST needs its sender's key, and a
        # database read per request was a third of the inbox's cost. A rotated key is caught
        # by the refetch after a failed verification (`refresh=True`).
        self._keys: dict[str, tuple[Account, str, float]] = {}
        # Where else an object may be fetched when its server does not answer: the peers
        # that replicate its author's log (set by the node: bocage/p2p/sparse.py).
        self.elsewhere: Callable[[str], Awaitable[dict[str, Any] | None]] | None = None

    async def instance_signer(self) -> Signer:
        if self._signer is None:
            key = await self.db.read(instance.instance_key)
            if key is None:
                key = await self.db.write(instance.make_instance_key, self.ctx.keyring)
            self._signer = Signer(f"{self.ctx.urls.instance_actor}#main-key", key.private_pem)
        return self._signer

    async def fetch(self, uri: str) -> dict[str, object]:
        await self._check_allowed(normalize.host(uri))
        return await self.client.get_json(uri, await self.instance_signer())

    async def _check_allowed(self, host: str) -> None:
        if (await self.rules()).refuses(host):
            raise FetchError(f"this node does not federate with {host}", 403)

    async def save_actor(self, profile: remote.ActorProfile) -> Account:
        """Store a verified actor; its pictures are dropped if its server's media is rejected."""
        if (await self.rules()).rejects_media(profile.domain):
            profile = replace(profile, avatar_url=None, header_url=None)
        return await self.db.write(remote.upsert_actor, profile)

    async def read_post(self, document: dict[str, Any]) -> remote.RemotePost:
        """A post document as the core's `RemotePost`, its attachments dropped if its server's
        media is rejected."""
        host = normalize.host(str(document.get("id", "")))
        return normalize.post(document, with_media=not (await self.rules()).rejects_media(host))

    # --- actors ------------------------------------------------------------------------------

    async def actor(self, uri: str, *, refresh: bool = False) -> Account:
        """A remote account by its id, fetched when unknown or stale (or when asked)."""
        known = await self.db.read(_known_by_uri, uri)
        if known is not None and known.account.domain is None:
            return known.account  # one of ours
        if known is not None and not refresh and not remote.is_stale(known.actor):
            return known.account
        try:
            document = await self.fetch(uri)
        except FetchError as failed:
            # Its server does not answer (down, or gone with its logs still replicated):
            # what is known of the actor still stands until it can be fetched again. A 404
            # or 410 is an answer, and a refresh is asked for a reason (a key that changed).
            if known is None or refresh or failed.status in (404, 410):
                raise
            log.info("actor %s kept as known: %s", uri, failed)
            return known.account
        profile = normalize.actor(document, fetched_from=uri)
        if profile.uri != uri:
            raise normalize.Malformed(f"{uri} answered with another actor, {profile.uri}")
        return await self.save_actor(profile)

    async def key(self, key_id: str, *, refresh: bool = False) -> tuple[Account, str]:
        """The account that owns `key_id`, and its public key PEM."""
        cached = self._keys.get(key_id)
        if cached is not None and not refresh and time.monotonic() - cached[2] < KEY_CACHE_SECONDS:
            return cached[0], cached[1]
        if not refresh:
            known = await self.db.read(remote.actor_by_key_id, key_id)
            if known is not None and known[0].rsa_public_pem:
                self._remember_key(key_id, known[0], known[0].rsa_public_pem)
                return known[0], known[0].rsa_public_pem
        try:
            url = urldefrag(key_id).url
        except ValueError:  # "https://a]b": a key id from a request, so anything
            raise FetchError(f"the key id {key_id[:200]} is not a URL") from None
        document = await self.fetch(url)
        owner = document.get("owner")
        if "inbox" not in document and isinstance(owner, str):  # a bare key document
            document = await self.fetch(owner)
        profile = normalize.actor(document, fetched_from=key_id)
        if profile.key_id != key_id or not profile.public_key_pem:
            raise FetchError(f"{profile.uri} does not list the key {key_id}")
        account = await self.save_actor(profile)
        self._remember_key(key_id, account, profile.public_key_pem)
        return account, profile.public_key_pem

    def _remember_key(self, key_id: str, account: Account, pem: str) -> None:
        if len(self._keys) >= KEY_CACHE_SIZE:
            self._keys.pop(next(iter(self._keys)))
        self._keys[key_id] = (account, pem, time.monotonic())

    async def by_handle(self, username: str, domain: str) -> Account:
        """`@username@domain` through WebFinger (RFC 7033), then the actor it points at."""
        known = await self.db.read(accounts.by_handle, username, domain)
        if known is not None:
            return known
        await self._check_allowed(domain)
        scheme = "http" if self.client.policy.allow_loopback else "https"
        resource = quote(f"acct:{username}@{domain}", safe=":@")
        jrd = await self.client.get_json(
            f"{scheme}://{domain}/.well-known/webfinger?resource={resource}", None, jrd=True
        )
        actor = normalize.actor_link(jrd)
        if actor is None:
            raise FetchError(f"{domain} knows no account @{username}", 404)
        return await self.actor(actor)

    async def discover(self, handle: str) -> Account:
        """`@user@domain` as a person types it; failures become a `NotFound` to show them."""
        username, _, domain = handle.strip().removeprefix("@").partition("@")
        if not username or not domain:
            raise NotFound("Write the full address, like @someone@example.social.")
        try:
            return await self.by_handle(username, domain)
        except (FetchError, normalize.Malformed) as failed:
            raise NotFound(f"@{username}@{domain} could not be found ({failed}).") from failed

    async def learn_mentions(self, source: str) -> None:
        """Look up the remote accounts a post about to be written @mentions, so that the
        core can link and address them (Mastodon resolves them the same way at posting).
        Handles that cannot be found stay plain text; the post is not refused for them."""
        own = self.ctx.settings.domain
        for handle in text.parse(source).mentions:
            if handle.host and handle.host.lower() != own:
                try:
                    await self.by_handle(handle.username, handle.host)
                except (FetchError, normalize.Malformed) as failed:
                    log.info("@%s@%s not found: %s", handle.username, handle.host, failed)

    # --- posts -------------------------------------------------------------------------------

    async def post(self, uri: str, depth: int = 0) -> Post | None:
        """A post by its id: ours or already stored, else fetched with its parents (bounded).
        A post fetched for itself (depth 0) also has its replies fetched, by a job. An
        `ap://did:key:…/…` id (FEP-ef61) names it by its author's did instead."""
        if uri.startswith(portable.SCHEME):
            known = await self.db.read(portable.https_id, uri)
            if known is None:
                raise FetchError(f"no known author has the did of {uri[:200]}", 404)
            uri = known
        stored = await self.db.read(remote.post_by_uri, uri)
        if stored is not None or await self.db.read(remote.is_tombstoned, uri):
            return stored
        if uri.startswith(self.ctx.urls.base + "/"):
            return None  # ours, and not here: deleted or never existed
        document = await self._fetch_post(uri)
        note = await self.read_post(document)
        if note.uri != uri and not normalize.same_origin(note.uri, uri):
            raise normalize.Malformed(f"{uri} answered with a post from elsewhere")
        signed = await self.check_proof(document, note.author_uri)
        outcome = await self.store_post(note, depth)
        if isinstance(outcome, Verdict):  # deleted before, or stored meanwhile by another job
            return await self.db.read(remote.post_by_uri, note.uri)
        if signed:  # re-servable to peers, verifiably
            await self.db.write(remote.keep_signed, outcome.account_id, document)
        replies = document.get("replies")
        if depth == 0 and isinstance(replies, str | dict):
            await self.db.write(queue.enqueue, "thread.replies", {"replies": replies})
        return outcome

    async def find_post(self, uri: str) -> Post | None:
        """`post`, with a post that cannot be fetched or read as None (a search for a URL)."""
        try:
            return await self.post(uri)
        except (FetchError, normalize.Malformed):
            return None

    async def _fetch_post(self, uri: str) -> dict[str, Any]:
        """From its server; else, if that server does not answer (not a 404: that one is
        an answer), from a peer, with its author's proof checked."""
        try:
            return await self.fetch(uri)
        except FetchError as failed:
            if (failed.status is not None and failed.status < 500) or self.elsewhere is None:
                raise
            document = await self.elsewhere(uri)
            if document is None:
                raise
            return document

    async def store_post(self, note: remote.RemotePost, depth: int = 0) -> Post | Verdict:
        """Stored with its parents fetched first (bounded), and what it quotes with the
        authorization it names (`quote_verified`); or the refusal, with its reason."""
        author = await self.actor(note.author_uri)
        note = await self.quote_verified(note, depth)
        if note.in_reply_to and depth < MAX_THREAD_DEPTH:
            try:
                await self.post(note.in_reply_to, depth + 1)
            except (FetchError, normalize.Malformed) as exc:
                log.info("parent %s of %s not fetched: %s", note.in_reply_to, note.uri, exc)
        return await self.db.write(remote.receive_post, author, note)

    async def quote_verified(self, note: remote.RemotePost, depth: int = 0) -> remote.RemotePost:
        """A post that quotes (FEP-044f): the quoted post fetched if it is not here, and the
        QuoteAuthorization it names fetched from the quoted author's server and judged
        (`core/quotes/verify.py`, Mastodon's VerifyQuoteService): only then is the quote
        shown accepted. One this node gave is judged by the quote it keeps; an authorization
        its server says is gone (404, 410) is a final no; one that cannot be had now leaves
        the quote as it was."""
        given = note.quote
        if given is None or depth >= MAX_QUOTE_DEPTH:
            return note
        try:
            quoted = await self.post(given.quoted_uri, depth + 1)
        except (FetchError, normalize.Malformed) as failed:
            log.info("quoted post %s of %s not fetched: %s", given.quoted_uri, note.uri, failed)
            quoted = None
        approval = given.approval_uri
        if approval is None or approval.startswith(self.ctx.urls.base + "/"):
            return note
        document: dict[str, Any] | None = None
        try:
            document = await self.fetch(approval)
        except FetchError as failed:
            if failed.status not in GONE:
                log.info("authorization %s of %s not fetched: %s", approval, note.uri, failed)
                return note
        quoted_author = await self.db.read(_author_uri, quoted.id) if quoted else None
        verdict = verify.authorization(
            document,
            approval_uri=approval,
            quoting_uri=note.uri,
            quoted_uri=quoted.uri if quoted else None,
            quoted_author_uri=quoted_author,
        )
        if not verdict.accepted:
            log.info("quote by %s not authorized: %s", note.uri, verdict.reason)
        return replace(note, quote=replace(given, verdict=verdict))

    async def check_proof(self, document: dict[str, Any], author_uri: str) -> bool:
        """A fetched object that carries an FEP-8b32 proof must carry a valid one, by its
        author's Ed25519 key (most servers sign nothing: no proof is no verdict). True when
        its proof verified."""
        if "proof" not in document:
            return False
        verdict = await self.proof_verdict(document, await self.actor(author_uri))
        if verdict is False:
            raise normalize.Malformed(f"the proof on {document.get('id')} does not verify")
        return bool(verdict)

    async def proof_verdict(self, document: dict[str, Any], author: Account) -> bool | None:
        """Whether the FEP-8b32 proof on a document by `author` holds; None when it cannot
        be checked (no proof, or one by a key the author does not publish).

        The key is the author's bound did, or else the did the author only claims: a valid
        proof by that key on an object that names `author` as its actor is the proof of
        possession the claim lacked, and binds the did (`remote.bind_did`)."""
        proof = document.get("proof")
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        if not isinstance(method, str):
            return None
        did = author.did or await self.db.read(remote.claimed_did, author.id)
        if did is None or method.split("#", 1)[0] not in (did, author.uri):
            return None
        try:
            public_key = public_key_from_did(did)
        except KeyFormatError:
            return None
        if not verify_object(document, public_key, proof_purpose="assertionMethod").valid:
            return False
        named = normalize.id_of(document.get("actor") or document.get("attributedTo"))
        if author.did != did and author.domain is not None and named == author.uri:
            await self.db.write(_bind_claimed, author.id, did)
        return True

    # --- threads -----------------------------------------------------------------------------

    async def fetch_replies(self, replies: str | dict[str, Any]) -> int:
        """Fetch the posts a `replies` collection lists (bounded: MAX_REPLIES posts, from at
        most MAX_REPLY_PAGES pages); their own replies are not walked. Returns how many."""
        fetched = 0
        for uri in await self.collection_items(replies, MAX_REPLIES, MAX_REPLY_PAGES):
            try:
                if await self.post(uri, depth=1) is not None:
                    fetched += 1
            except (FetchError, normalize.Malformed) as exc:
                log.info("reply %s not fetched: %s", uri, exc)
        return fetched

    async def collection_items(
        self, collection: str | dict[str, Any], limit: int, max_pages: int
    ) -> list[str]:
        """Item ids of a (possibly paged) collection, embedded or by id: `items` or
        `orderedItems`, then `first`, then each page's `next`."""
        found: list[str] = []
        page: Any = collection
        seen_pages = 0
        while page is not None and len(found) < limit and seen_pages <= max_pages:
            if isinstance(page, str):
                page = await self.fetch(page)
                seen_pages += 1
            if not isinstance(page, dict):
                break
            items = normalize.as_list(page.get("orderedItems") or page.get("items"))
            found += [item for item in map(normalize.id_of, items) if item]
            page = page.get("next") if "first" not in page else page.get("first")
        return list(dict.fromkeys(found))[:limit]


def _bind_claimed(session: Session, account_id: int, did: str) -> None:
    account = session.get(Account, account_id)
    if account is not None and remote.claimed_did(session, account_id) == did:
        remote.bind_did(session, account, did)


def _known_by_uri(session: Session, uri: str) -> KnownActor | None:
    account = remote.account_by_uri(session, uri)
    if account is None:
        return None
    actor = remote.remote_actor(session, account.id)
    return KnownActor(account, actor) if actor is not None or account.domain is None else None


def _author_uri(session: Session, post_id: int) -> str | None:
    post = session.get(Post, post_id)
    author = session.get(Account, post.account_id) if post else None
    return author.uri if author else None

"""What the services need from outside the core, each as a small Protocol: remote lookups
(the ActivityPub resolver), the signature checks of what other servers send, the media
adapters, the login and sign-up limits, the cache of domain rules. The node (the composition
root) passes the real ones; tests may pass fakes.
Services import none of the faces, and no adapter by name."""

from __future__ import annotations

from typing import Any, Protocol

from bocage.core.cards.extract import PageMeta
from bocage.core.cards.links import Anchor
from bocage.core.instance.domains import DomainRules
from bocage.core.media.audiovisual import UploadLimits
from bocage.core.media.media import Derived, ImagePolicy, ProcessedImage, Upload
from bocage.core.push.push import Sealed, VapidKey
from bocage.crypto import httpsig
from bocage.store.db import Database
from bocage.store.models import Account, Peer, Post, User


class Lookups(Protocol):
    """Remote lookups, made before a unit of work (never inside one: they wait on the
    network). The ActivityPub resolver is one."""

    async def learn_mentions(self, source: str) -> None:
        """Look up the remote accounts `source` @mentions, so the core can link them."""

    async def discover(self, handle: str) -> Account:
        """`@user@domain` as a person types it; `NotFound` when it cannot be found."""

    async def actor(self, uri: str, *, refresh: bool = False) -> Account:
        """The account behind an actor id, fetched when unknown (or when `refresh`)."""

    async def find_post(self, uri: str) -> Post | None:
        """A post by its URL: held here, or fetched from its server; None if it cannot be."""


class SignatureChecks(Protocol):
    """Who vouches for what another server sends (federation/signatures.py `Checks`): HTTP
    signatures against the signer's key (fetched when unknown, once more when it no longer
    verifies), integrity proofs against the actor's published keys, the admin's domain
    rules. Each may wait on the network: called before a unit of work, never inside one."""

    async def signer(self, request: httpsig.Request) -> Account:
        """The account whose key signed `request`: `SignatureError` if none did (`KeyGone`
        when its key can no longer be fetched)."""

    async def signing_server(
        self, request: httpsig.Request, *, unsigned: str, refused: str
    ) -> Account:
        """The remote account vouching for a server's request: `SignatureError` 401
        `unsigned` (or a bad signature), 403 `refused` for a server the admin shuts out."""

    async def actor(self, uri: str) -> Account:
        """The account behind an actor id, fetched when unknown (`FetchError`, `Malformed`)."""

    async def proof_verdict(self, document: dict[str, Any], author: Account) -> bool | None:
        """Whether `document`'s FEP-8b32 proof by `author` holds; None if it cannot be checked."""

    async def domain_rules(self) -> DomainRules:
        """The admin's domain blocks and allow-list (cached a few seconds)."""


class ImageProcessor(Protocol):
    async def process(self, data: bytes, policy: ImagePolicy) -> ProcessedImage:
        """`data` decoded, checked and re-encoded as `policy` says (`InvalidInput` if it is
        not an accepted image)."""

    async def derive(self, data: bytes) -> Derived:
        """The preview and blurhash of an image (`InvalidInput` if it cannot be read)."""

    async def prepare(self, data: bytes, limits: UploadLimits | None = None) -> Upload:
        """An attachment made ready to store (metadata stripped, pixels untouched, preview
        and blurhash derived; a video or a sound probed, its poster's preview derived;
        `InvalidInput` for what is not accepted, `TooLarge` past its kind's `limits`)."""

    async def thumbnail(self, data: bytes, limits: UploadLimits | None = None) -> Derived:
        """The preview and blurhash of an image sent as a video's or a sound's thumbnail
        (`InvalidInput` if it is no image)."""


class StoredRange(Protocol):
    """The bytes of a range of a stored file, read in order (a file on disk, an object
    store's response body); closed once read, or when the client goes away."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class MediaStore(Protocol):
    """Content-addressed files: the same bytes get the same key (`ab/cd/<sha-256>.<ext>`).
    The local disk (adapters/storage.py) or an S3-compatible object store (adapters/s3.py),
    as the settings say. Every method blocks (disk, network): services call them off the
    event loop. A malformed key is an unknown one."""

    def put(self, data: bytes, extension: str) -> str:
        """Store `data` whole (or not at all) and return its key."""

    def size(self, key: str) -> int | None:
        """The file's size in bytes; None if there is no such file."""

    def open(self, key: str, start: int, stop: int) -> StoredRange | None:
        """Bytes `start` to `stop` (excluded) of the file; None if there is no such file."""

    def delete(self, key: str) -> bool:
        """Remove the file (cache eviction, uploads never attached); False if it was not
        there."""

    def public_url(self, key: str) -> str | None:
        """Where clients may fetch the file directly (an object store's public base URL);
        None when this node serves it."""

    def remove(self, key: str, stored_before: float) -> bool:
        """Remove a file unless it was stored (again) at or after `stored_before`."""


class Downloads(Protocol):
    """Files fetched from other servers through the SSRF-safe client (federation/client.py)."""

    async def get_file(self, url: str, limit: int, timeout_seconds: float) -> bytes:
        """The body of `url`, of at most `limit` bytes (`FetchError` past it, or on a
        failure: `status` says whether trying again later may help)."""


class FetchedPage(Protocol):
    """A page as the client read it (federation/client.py `Page`)."""

    @property
    def url(self) -> str: ...  # where it was read, after redirects

    @property
    def content_type(self) -> str: ...

    @property
    def charset(self) -> str | None: ...

    @property
    def body(self) -> bytes: ...  # its first bytes, at most the limit asked for


class Pages(Protocol):
    """Web pages read for link preview cards through the SSRF-safe client
    (federation/client.py `get_page`)."""

    async def get_page(
        self, url: str, limit: int, accept: str, timeout_seconds: float = 15.0
    ) -> FetchedPage:
        """The page at `url` (redirects followed, each checked), its body cut at `limit`
        bytes; `FetchError` for any answer but a 200, or when it cannot be read."""


class HtmlReader(Protocol):
    """HTML parsed (adapters/html_meta.py, lxml): a page's tags, a post's links."""

    def page_meta(self, body: bytes, charset: str | None = None) -> PageMeta: ...

    def anchors(self, content: str) -> list[Anchor]: ...


class PushSender(Protocol):
    """Web Push messages sent to push services through the SSRF-safe client
    (federation/client.py `push`)."""

    async def push(
        self, url: str, body: bytes, headers: dict[str, str], timeout_seconds: float = 30.0
    ) -> PushAnswer:
        """The push service's answer (`FetchError` when it cannot be reached, or when this
        node must not contact its address)."""


class PushAnswer(Protocol):
    @property
    def status(self) -> int: ...


class PushCrypto(Protocol):
    """Web Push's cryptography (adapters/webpush.py): the VAPID key, RFC 8291 encryption,
    RFC 8292 signatures."""

    def generate_key(self) -> VapidKey: ...

    def check_keys(self, p256dh: bytes, auth: bytes) -> None:
        """`InvalidInput` unless a message can be encrypted for these keys."""

    def seal(
        self,
        endpoint: str,
        p256dh: bytes,
        auth: bytes,
        *,
        standard: bool,
        message: bytes,
        vapid: VapidKey,
        subject: str,
        ttl: int,
        urgency: str,
    ) -> Sealed: ...


class Logins(Protocol):
    """Password checks, with their limits per address and per login (core/auth/logins.py)."""

    async def log_in(self, db: Database, host: str | None, login: str, password: str) -> User: ...

    async def confirm(self, host: str | None, user: User, password: str) -> None: ...


class SignUps(Protocol):
    def begin(self, host: str | None) -> None:
        """Count a sign-up from `host`; `RateLimited` when it made too many."""


class DomainRulesCache(Protocol):
    def forget_domain_rules(self) -> None:
        """The admin changed the domain rules: read them again at once in this process."""


class PeerBook(Protocol):
    """The peers this node replicates with, for the admin (the replication service keeps
    them)."""

    async def listing(self) -> tuple[list[Peer], list[Any]]:
        """The peers, and the forked logs seen (whose, at which seq, from which peer)."""

    async def add(self, url: str) -> Peer | None:
        """Added by the admin (None: that is this node's own address)."""

    async def remove(self, url: str) -> bool: ...

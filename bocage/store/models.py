"""Tables. Normalized columns for queries; the exact signed JSON lives in `log_entries`.

IDs of posts, accounts and notifications are time-sortable (see kernel/ids.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every model here is mapped to a plain Table (SQLAlchemy types it as any FromClause), so
    # `Model.__table__` can be given to insert() and update().
    __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        int: BigInteger,
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def _cascade(table_column: str) -> ForeignKey:
    return ForeignKey(table_column, ondelete="CASCADE")


class Account(Base):
    """An actor: a local person (with a `User`) or, later, a remote one (domain set)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    note_source: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[Any]] = mapped_column(default=list)
    avatar: Mapped[str | None] = mapped_column(String(200))  # media storage key
    header: Mapped[str | None] = mapped_column(String(200))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    did: Mapped[str | None] = mapped_column(String(100), unique=True)
    # A remote account's did was bound with proof of possession (core/inbound/remote.py): an
    # unproven binding (made before proofs were asked) gives way to a proven claim.
    did_proven: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    identity_seed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rsa_private_pem: Mapped[str | None] = mapped_column(Text)
    rsa_public_pem: Mapped[str | None] = mapped_column(Text)
    followers_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    statuses_count: Mapped[int] = mapped_column(default=0)
    last_status_at: Mapped[datetime | None]
    # Head of this author's signed log: contiguous seq, hash of the last entry.
    log_seq: Mapped[int] = mapped_column(default=0)
    log_head: Mapped[str | None] = mapped_column(String(80))
    # Bumped by a trigger on every update (migration 0016): pages cache rows by version.
    row_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Other accounts of the same person (FEP-7628 `alsoKnownAs`): a Move to one of them is
    # accepted. `moved_to_id` is set once the account has moved; no foreign key, a moved
    # account outlives its new home's row (as a reply outlives its parent).
    also_known_as: Mapped[list[Any] | None]  # NULL for accounts older than aliases
    # Other nodes that hold and serve this account's objects (FEP-ef61 `gateways`, without
    # the home node): the pubs a local account registered with, or a remote actor's list.
    gateways: Mapped[list[Any] | None]
    moved_to_id: Mapped[int | None] = mapped_column(BigInteger)

    # Handles are unique case-insensitively; local accounts have no domain (NULL).
    __table_args__ = (
        Index(
            "uq_accounts_handle",
            func.lower(username),
            func.coalesce(domain, ""),
            unique=True,
        ),
        # The few suspended accounts, for the timelines' "author not suspended" check:
        # without it PostgreSQL scans every account (2.8 ms at 20k) to find none.
        Index(
            "ix_accounts_suspended",
            "id",
            sqlite_where=text("suspended"),
            postgresql_where=text("suspended"),
        ),
    )


class User(Base):
    """Login credentials and role of a local account."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    signup_reason: Mapped[str] = mapped_column(Text, default="")
    invite_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WebSession(Base):
    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class Invite(Base):
    __tablename__ = "invites"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by: Mapped[int] = mapped_column(_cascade("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class InstanceSetting(Base):
    """Admin-editable settings (name, description, rules, registration mode…) as JSON values."""

    __tablename__ = "instance_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Post(Base):
    """A status. A boost is a post whose `reblog_of_id` is set and whose text is empty."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    visibility: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    source: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    # No foreign keys: a reply outlives the post it answers (Mastodon shows it as a reply).
    in_reply_to_id: Mapped[int | None] = mapped_column(BigInteger)
    in_reply_to_account_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_root_id: Mapped[int | None] = mapped_column(BigInteger)
    reblog_of_id: Mapped[int | None] = mapped_column(_cascade("posts.id"))
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    replies_count: Mapped[int] = mapped_column(default=0)
    favourites_count: Mapped[int] = mapped_column(default=0)
    reblogs_count: Mapped[int] = mapped_column(default=0)
    pinned_at: Mapped[datetime | None]  # on its author's profile (the `featured` collection)
    # Attachments (media_files), so that pages without any skip looking (NULL: none).
    media_count: Mapped[int | None] = mapped_column(Integer)
    # Its poll (`polls.id`), so that pages without polls skip looking (NULL: none). No
    # foreign key: `polls.post_id` points back, and the poll goes with the post.
    poll_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped by a trigger on every update (migration 0016): pages cache rows by version.
    row_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Its thread's context (FEP-7888 `context`, Mastodon's `conversation`): the same URL on
    # every post of a thread (core/posts/contexts.py). NULL: a remote post that names none.
    context: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_posts_account_id_id", "account_id", "id"),
        Index("ix_posts_in_reply_to_id", "in_reply_to_id"),
        Index("ix_posts_thread_root_id", "thread_root_id"),
        Index("ix_posts_reblog_of_id", "reblog_of_id"),
        # One boost per account and post, even when two clicks race.
        Index(
            "uq_posts_one_boost",
            "account_id",
            "reblog_of_id",
            unique=True,
            sqlite_where=text("reblog_of_id IS NOT NULL"),
            postgresql_where=text("reblog_of_id IS NOT NULL"),
        ),
        Index("ix_posts_visibility_id", "visibility", "id"),
        Index(
            "ix_posts_pinned",
            "account_id",
            sqlite_where=text("pinned_at IS NOT NULL"),
            postgresql_where=text("pinned_at IS NOT NULL"),
        ),
    )


class FeedEntry(Base):
    """A post (or boost) in someone's home timeline, written when it is published
    (fan-out on write): reading a home page is then one short index range scan."""

    __tablename__ = "home_feed"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    __table_args__ = (Index("ix_home_feed_account_id_author_id", "account_id", "author_id"),)


class PostEdit(Base):
    """A previous version of an edited post (the history Mastodon shows)."""

    __tablename__ = "post_edits"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Mention(Base):
    __tablename__ = "mentions"
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    __table_args__ = (Index("ix_mentions_account_id_post_id", "account_id", "post_id"),)


class PostTag(Base):
    __tablename__ = "post_tags"
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)


class Favourite(Base):
    __tablename__ = "favourites"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_favourites_post_id", "post_id"),)


class Bookmark(Base):
    __tablename__ = "bookmarks"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"))
    __table_args__ = (UniqueConstraint("account_id", "post_id", name="uq_bookmarks_pair"),)


class Follow(Base):
    """A follow; `accepted` is false while it waits as a request on a locked account."""

    __tablename__ = "follows"
    follower_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_follows_target_id_accepted", "target_id", "accepted"),)


class Block(Base):
    __tablename__ = "blocks"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]
    uri: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_blocks_target_id", "target_id"),)


class Mute(Base):
    __tablename__ = "mutes"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    created_at: Mapped[datetime]


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    type: Mapped[str] = mapped_column(String(32))
    from_account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    post_id: Mapped[int | None] = mapped_column(_cascade("posts.id"))
    created_at: Mapped[datetime]
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    # The same event never notifies twice, however often its job runs.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    __table_args__ = (Index("ix_notifications_account_id_id", "account_id", "id"),)


class Tombstone(Base):
    """The URI of something deleted: never resurrected, never fetched again."""

    __tablename__ = "tombstones"
    uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    deleted_at: Mapped[datetime]


class LogEntry(Base):
    """One entry of an author's signed log (see ARCHITECTURE.md, "Peer replication").

    `entry` is the signed entry {author, seq, prev, id, digest, signature}; `activity` is
    the exact signed activity JSON, or NULL once its content has been purged by a Delete.
    """

    __tablename__ = "log_entries"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    activity_id: Mapped[str] = mapped_column(String(500), index=True)
    object_id: Mapped[str | None] = mapped_column(String(500), index=True)
    activity_type: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(80))
    entry_hash: Mapped[str] = mapped_column(String(80))
    entry: Mapped[str] = mapped_column(Text)
    activity: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class MediaFile(Base):
    """A stored file (content-addressed on disk by sha256)."""

    __tablename__ = "media_files"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # The post it is attached to, once posted (no foreign key: like a reply's parent, the
    # row outlives a deleted post; the file is shared by content address anyway).
    post_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    focus_x: Mapped[float | None] = mapped_column(Float)  # -1 (left) … 1 (right)
    focus_y: Mapped[float | None] = mapped_column(Float)  # -1 (bottom) … 1 (top)


class Job(Base):
    """A durable job. state: queued → running → done, or back to queued with backoff, or dead."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="queued")
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=12)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)


class RemoteActor(Base):
    """What this node knows of a remote account beyond its `accounts` row: where to deliver,
    which key signs its requests, where its profile lives. Refreshed when it goes stale."""

    __tablename__ = "remote_actors"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    inbox: Mapped[str] = mapped_column(String(500))
    shared_inbox: Mapped[str | None] = mapped_column(String(500))
    key_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    followers_url: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(500))
    avatar_url: Mapped[str | None] = mapped_column(String(1000))
    header_url: Mapped[str | None] = mapped_column(String(1000))
    moved_to: Mapped[str | None] = mapped_column(String(500))
    fetched_at: Mapped[datetime]
    # A did the actor lists (`assertionMethod`) with no identity proof: bound only once an
    # object signed by its key as this actor verifies.
    claimed_did: Mapped[str | None] = mapped_column(String(100))


class InboundActivity(Base):
    """An activity as it arrived at an inbox (or from a peer's log), stored before the 202:
    nothing accepted is lost, and its id makes a second delivery of the same activity by the
    same actor a no-op. `outcome` says what became of it once processed: "applied", or
    "refused" with a `reason` a person reads (NULL while it waits for its job)."""

    __tablename__ = "inbound_activities"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    activity_id: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    verified_by: Mapped[str] = mapped_column(String(16))  # "signature" or "proof"
    received_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        UniqueConstraint("actor", "activity_id", name="uq_inbound_activities_actor_activity_id"),
    )


class RemoteHost(Base):
    """Per remote server: the signature scheme it accepts, and whether it is reachable."""

    __tablename__ = "remote_hosts"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    signature_scheme: Mapped[str | None] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    parked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]


class Report(Base):
    """A report of an account (and some of its posts) to this node's moderators, made here or
    received as a Flag. `forwarded`: a copy went to the reported account's server."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))  # who reported
    target_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    post_ids: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500), unique=True)  # the Flag's id
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_reports_resolved_at_id", "resolved_at", "id"),)


class DomainBlock(Base):
    """An admin's decision about a whole server. `suspend`: nothing from it is accepted and
    nothing goes to it; `silence`: its posts reach only those who follow its accounts."""

    __tablename__ = "domain_blocks"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class DomainAllow(Base):
    """A server this node federates with when the admin has chosen allow-list mode."""

    __tablename__ = "domain_allows"
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime]


class OAuthApp(Base):
    """A client application (Tusky, Elk, toot…) registered through `POST /api/v1/apps`."""

    __tablename__ = "oauth_apps"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    scopes: Mapped[str] = mapped_column(String(1000))  # space-separated, as in OAuth
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class OAuthCode(Base):
    """An authorization code: short-lived, single use, bound to its redirect URI and (PKCE)
    to the client's code challenge. Only its hash is stored."""

    __tablename__ = "oauth_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int] = mapped_column(_cascade("oauth_apps.id"))
    user_id: Mapped[int] = mapped_column(_cascade("users.id"))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scopes: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str | None] = mapped_column(String(128))  # S256 only
    expires_at: Mapped[datetime]


class OAuthToken(Base):
    """An access token (only its hash is stored); `user_id` is None for an app's own token
    (client_credentials grant)."""

    __tablename__ = "oauth_tokens"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(_cascade("oauth_apps.id"))
    user_id: Mapped[int | None] = mapped_column(_cascade("users.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class IdempotencyKey(Base):
    """A client's `Idempotency-Key` for a post it created: the same key from the same token
    gets the same post back instead of a duplicate (a retry after a lost answer)."""

    __tablename__ = "idempotency_keys"
    token_id: Mapped[int] = mapped_column(_cascade("oauth_tokens.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    post_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


# --- lists and markers (migration 0008) ----------------------------------------------------


class UserList(Base):
    """A list of accounts its owner follows (or asked to follow, or is): its own timeline,
    and with `exclusive`, their posts leave the owner's home feed (Mastodon 4.2)."""

    __tablename__ = "lists"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), index=True)  # the owner
    title: Mapped[str] = mapped_column(String(256))
    replies_policy: Mapped[str] = mapped_column(String(16), default="list")
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ListMember(Base):
    __tablename__ = "list_accounts"
    list_id: Mapped[int] = mapped_column(_cascade("lists.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    # Fan-out asks "which lists hold this author?" for every post: one index probe.
    __table_args__ = (Index("ix_list_accounts_account_id_list_id", "account_id", "list_id"),)


class ListFeedEntry(Base):
    """A post (or boost) in a list's timeline, written when it is published, as home_feed."""

    __tablename__ = "list_feed"
    list_id: Mapped[int] = mapped_column(_cascade("lists.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    __table_args__ = (
        Index("ix_list_feed_list_id_author_id", "list_id", "author_id"),
        Index("ix_list_feed_post_id", "post_id"),  # which lists show a post (streaming)
    )


class Marker(Base):
    """Where someone stopped reading a timeline (`home`, `notifications`), shared by their
    apps; `version` counts updates, so that a stale concurrent update is refused."""

    __tablename__ = "markers"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    timeline: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_read_id: Mapped[int]
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


# --- filters (migration 0009) --------------------------------------------------------------


class Filter(Base):
    """A person's filter (Mastodon's v2 filter): posts matching any of its keywords, or
    listed in its statuses, are flagged (`warn`, `blur`) or left out (`hide`) in `context`."""

    __tablename__ = "filters"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    title: Mapped[str] = mapped_column(Text)
    context: Mapped[list[Any]]  # of "home", "notifications", "public", "thread", "account"
    action: Mapped[str] = mapped_column(String(8))  # "warn", "hide" or "blur"
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_filters_account_id_id", "account_id", "id"),)


class FilterKeyword(Base):
    """A word or phrase of a filter (one v1 filter, as the v1 API presents it)."""

    __tablename__ = "filter_keywords"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(_cascade("filters.id"), index=True)
    keyword: Mapped[str] = mapped_column(Text)
    whole_word: Mapped[bool] = mapped_column(Boolean)


class FilterStatus(Base):
    """A post a filter matches by id (and the boosts of it)."""

    __tablename__ = "filter_statuses"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    filter_id: Mapped[int] = mapped_column(_cascade("filters.id"))
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), index=True)
    __table_args__ = (UniqueConstraint("filter_id", "post_id", name="uq_filter_statuses_pair"),)


# --- polls (migration 0010) ----------------------------------------------------------------


class Poll(Base):
    """A post's poll: its options and their counts, counted here for a local poll, copied
    from the author's server (Question updates) for a remote one."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), unique=True)
    options: Mapped[list[Any]]  # titles, in order
    tallies: Mapped[list[Any]]  # votes per option, same order
    multiple: Mapped[bool] = mapped_column(Boolean)
    hide_totals: Mapped[bool] = mapped_column(Boolean)
    votes_count: Mapped[int]
    voters_count: Mapped[int | None]  # NULL: a remote poll whose server does not say
    expires_at: Mapped[datetime | None]  # NULL: never (Misskey allows it)
    closed_at: Mapped[datetime | None]  # when its closing was handled (notifications sent)
    # A local poll's counts go out as an Update of its Question, at most every few minutes:
    # set while that Update is queued.
    update_queued: Mapped[bool] = mapped_column(Boolean)


class PollVote(Base):
    """One chosen option of one voter (a multiple-choice vote is several rows). `uri` is the
    vote's Note id: ours for a local voter, the voter's server's for a remote one."""

    __tablename__ = "poll_votes"
    poll_id: Mapped[int] = mapped_column(_cascade("polls.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    choice: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_poll_votes_account_id", "account_id"),)


# --- scheduled statuses, conversations, muted threads (migration 0011) ----------------------


class ScheduledStatus(Base):
    """A post to publish later (Mastodon's ScheduledStatus). `params` keeps what the client
    sent, as Mastodon shows it back (text, visibility, media_ids, poll…); a `scheduled.publish`
    job publishes it through the same core path as any post, then the row goes."""

    __tablename__ = "scheduled_statuses"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    scheduled_at: Mapped[datetime]
    params: Mapped[dict[str, Any]]
    __table_args__ = (
        Index("ix_scheduled_statuses_account_id_scheduled_at", "account_id", "scheduled_at"),
    )


class ScheduledMedia(Base):
    """An upload reserved for a scheduled status: no other post may take it meanwhile, and
    cancelling the scheduled status frees it (cascade)."""

    __tablename__ = "scheduled_media"
    media_id: Mapped[int] = mapped_column(_cascade("media_files.id"), primary_key=True)
    scheduled_status_id: Mapped[int] = mapped_column(_cascade("scheduled_statuses.id"), index=True)


class AccountConversation(Base):
    """One account's view of a direct conversation (Mastodon's AccountConversation): a
    thread (by its root post) among the same participants, with its newest direct post and
    whether the account has read it. `participants` are the other accounts, sorted;
    `participants_key` (their sha256) makes the triple unique."""

    __tablename__ = "account_conversations"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    thread_id: Mapped[int] = mapped_column(BigInteger)  # no foreign key: the root may go first
    participants: Mapped[list[Any]]
    participants_key: Mapped[str] = mapped_column(String(64))
    last_status_id: Mapped[int] = mapped_column(_cascade("posts.id"))
    unread: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint(
            "account_id", "thread_id", "participants_key", name="uq_account_conversations_key"
        ),
        Index("ix_account_conversations_account_id_last_status_id", "account_id", "last_status_id"),
    )


class ConversationPost(Base):
    """A direct post in an account's conversation: when the newest is deleted, the one
    before it becomes the conversation's last status."""

    __tablename__ = "conversation_posts"
    conversation_id: Mapped[int] = mapped_column(
        _cascade("account_conversations.id"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(_cascade("posts.id"), primary_key=True)
    __table_args__ = (Index("ix_conversation_posts_post_id", "post_id"),)


class ThreadMute(Base):
    """A thread (by its root post's id) whose notifications an account no longer wants."""

    __tablename__ = "thread_mutes"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


# --- follow options, featured tags, endorsements, account notes (migration 0012) ------------


def _follow_of(*columns: str) -> ForeignKeyConstraint:
    """A reference to a follow (by its two accounts): the row goes when the follow goes."""
    return ForeignKeyConstraint(
        list(columns),
        ["follows.follower_id", "follows.target_id"],
        ondelete="CASCADE",
    )


class FollowOption(Base):
    """A follow's options when they differ from the defaults (boosts shown, no notice of new
    posts, every language). Most follows have none, so the home fan-out's outer join finds
    no row for them. Stored for a follow request too, and kept when it is accepted."""

    __tablename__ = "follow_options"
    follower_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    target_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    show_reblogs: Mapped[bool] = mapped_column(Boolean)
    notify: Mapped[bool] = mapped_column(Boolean)
    languages: Mapped[list[Any] | None]  # ISO 639 codes; NULL: every language
    __table_args__ = (_follow_of("follower_id", "target_id"),)


class Endorsement(Base):
    """An account someone features on their profile (Mastodon's account pins): only someone
    they follow, so it goes when the follow goes."""

    __tablename__ = "endorsements"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int]
    target_id: Mapped[int]
    created_at: Mapped[datetime]
    __table_args__ = (
        _follow_of("account_id", "target_id"),
        UniqueConstraint("account_id", "target_id", name="uq_endorsements_pair"),
    )


class AccountNote(Base):
    """A private note someone keeps about another account (Mastodon's Relationship.note)."""

    __tablename__ = "account_notes"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    comment: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class FeaturedTag(Base):
    """A hashtag a local account features on its profile (the actor's `featuredTags`)."""

    __tablename__ = "featured_tags"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))  # as its owner wrote it
    tag: Mapped[str] = mapped_column(String(100))  # lower-cased, as post_tags holds it
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("account_id", "tag", name="uq_featured_tags_pair"),)


class Peer(Base):
    """Another node this one replicates author logs with (docs/protocol.md)."""

    __tablename__ = "peers"
    url: Mapped[str] = mapped_column(String(500), primary_key=True)  # its base URL
    source: Mapped[str] = mapped_column(String(16))  # manual, follow, exchange, lan
    added_at: Mapped[datetime]
    last_sync_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="new")  # new, ok, unreachable, refused
    last_error: Mapped[str | None] = mapped_column(Text)
    # Good entries raise it, anything that fails verification lowers it; a peer below
    # zero is asked last, and one far below is no longer asked at all.
    score: Mapped[int] = mapped_column(default=0)
    entries_received: Mapped[int] = mapped_column(default=0)


class PeerCandidate(Base):
    """A node another peer named in a clock exchange: a claim, not a peer. It is asked once
    whether it is a node (its clock); only then is it a peer (docs/protocol.md, "Discovery")."""

    __tablename__ = "peer_candidates"
    url: Mapped[str] = mapped_column(String(500), primary_key=True)  # its base URL
    taught_by: Mapped[str] = mapped_column(String(500), index=True)  # the peer that named it
    learned_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]  # when it was asked for its clock (once, ever)
    last_error: Mapped[str | None] = mapped_column(Text)  # why it is not a peer


class LogFork(Base):
    """Evidence that an author's log forked: two different entries with one seq. The log is
    no longer replicated until the admin looks (`bocage peer forks`, the admin page)."""

    __tablename__ = "log_forks"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    seq: Mapped[int]
    ours: Mapped[str] = mapped_column(Text)  # the entry this node holds, JSON
    theirs: Mapped[str] = mapped_column(Text)  # the conflicting entry, JSON
    peer: Mapped[str] = mapped_column(String(500))
    seen_at: Mapped[datetime]


class GatewayConsent(Base):
    """On a pub (`bocage serve --pub`): an account that registered this node as its gateway,
    with its signed consent (docs/protocol.md, "Pubs"). Its full log is kept here."""

    __tablename__ = "gateway_consents"
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), primary_key=True)
    consent: Mapped[str] = mapped_column(Text)  # the signed GatewayConsent, JSON
    received_at: Mapped[datetime]


class HeldObject(Base):
    """A remote object as its author signed it (FEP-8b32 proof checked), fetched outside a
    replicated log (a post seen in a thread, opened by a link): kept so that this node can
    re-serve it verifiably at `/.well-known/apgateway/{did}/{path}` (docs/protocol.md)."""

    __tablename__ = "held_objects"
    uri: Mapped[str] = mapped_column(String(500), primary_key=True)
    account_id: Mapped[int] = mapped_column(_cascade("accounts.id"), index=True)
    document: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime]

"""Accounts: signing up (with the sign-up limits and the slow key generation off the loop),
the profile (its avatar and header through the one media pipeline), the password, aliases
and moving away, featured hashtags; and finding accounts (by id, by handle, by name, with a
remote handle looked up on its server first)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bocage.core.accounts import accounts, featured_tags, keystore, moves
from bocage.core.accounts.accounts import AccountSecrets, PostingDefaults, Registration
from bocage.core.accounts.featured_tags import FeaturedTagView
from bocage.core.auth import oauth
from bocage.core.graph import graph
from bocage.core.graph.graph import Relationship
from bocage.core.instance import instance
from bocage.core.moderation import accounts as moderation_accounts
from bocage.core.moderation import signup_blocks
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page, PostView
from bocage.crypto.sealing import Keyring
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.services.media import MediaService
from bocage.services.ports import Logins, Lookups, SignUps
from bocage.services.unit import Query, Service
from bocage.store.db import Database
from bocage.store.models import Account, OAuthApp, OAuthToken, User

NOT_FOUND = "Record not found"


@dataclass(frozen=True)
class Credentials:
    """A person's own account, with how many follow requests wait for them."""

    account: Account
    follow_requests: int
    defaults: PostingDefaults  # the user's posting defaults (all three set)


@dataclass(frozen=True)
class ProfileChange:
    """What changes in a profile; None keeps what is there. Images come as the bytes sent
    (None or empty: keep the current one)."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    fields: list[tuple[str, str]] | None = None
    avatar: bytes | None = None
    header: bytes | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    defaults: PostingDefaults = field(default_factory=PostingDefaults)  # None in each: keep


@dataclass(frozen=True)
class SignedUp:
    user: User
    token: tuple[str, OAuthToken] | None  # for a sign-up through an app: its token


@dataclass(frozen=True)
class ProfilePage:
    """An account's page as a viewer sees it."""

    account: Account
    moved_to: Account | None
    relationship: Relationship | None  # None for nobody logged in, or one's own page
    views: list[PostView]
    pinned: list[PostView]


class AccountService(Service):
    def __init__(
        self,
        db: Database,
        ctx: Context,
        *,
        lookups: Lookups,
        media: MediaService,
        logins: Logins,
        sign_ups: SignUps,
    ) -> None:
        super().__init__(db, ctx)
        self._lookups = lookups
        self._media = media
        self._logins = logins
        self._sign_ups = sign_ups

    # --- signing up -------------------------------------------------------------------

    async def _secrets(
        self, form: Registration, host: str | None, *, counted: bool
    ) -> AccountSecrets:
        """Validate first (cheap), count a sign-up from `host`, then make keys and the
        password hash (slow) off the loop."""
        accounts.validate_registration(form)
        if counted:
            self._sign_ups.begin(host)
        return await asyncio.to_thread(accounts.make_secrets, form.password)

    async def register(
        self, form: Registration, host: str | None, app: OAuthApp | None = None
    ) -> SignedUp:
        """A sign-up, as the registration mode allows; through an app, with its token."""
        secrets = await self._secrets(form, host, counted=True)
        return await self._db.write(_register, self._ctx, form, secrets, app, host)

    async def setup_admin(self, token: str, form: Registration) -> User:
        """The first admin, through the one-time setup link (`NotFound` once it is used)."""
        secrets = await self._secrets(form, None, counted=False)
        return await self._db.write(_setup_admin, self._ctx, token, form, secrets)

    async def create(self, form: Registration, *, admin: bool = False) -> User:
        """An approved account made by the node's operator (the `bocage user create`
        command), whatever the registration mode and the sign-up limits."""
        secrets = await self._secrets(form, None, counted=False)
        return await self._db.write(_create, self._ctx, form, secrets, admin)

    def setup_token_valid(self, token: str) -> Query[bool]:
        return self._query(lambda session: instance.setup_token_valid(session, token))

    # --- the key store ----------------------------------------------------------------

    async def seal_keys(self, ring: Keyring) -> int:
        """Every private key sealed with `ring`'s current secret (the node does this at
        start with its own ring; `bocage secret rotate` with a new one), the overwritten
        values scrubbed from the database's files; how many rows changed. `SealingError`
        for a key sealed with a secret `ring` does not hold."""
        return await asyncio.to_thread(keystore.seal_stored, self._db, ring)

    # --- one's own account --------------------------------------------------------------

    def credentials(self, owner: Account) -> Query[Credentials]:
        return self._query(lambda session: _credentials(session, owner.id))

    async def update_profile(self, owner: Account, change: ProfileChange) -> Credentials:
        """The avatar and header go through the media pipeline first (`InvalidInput` for
        an image that cannot be read), then the profile changes in one unit of work."""
        avatar = await self._media.profile_image(change.avatar, "avatar")
        header = await self._media.profile_image(change.header, "header")
        return await self._db.write(_update_profile, self._ctx, owner.id, change, avatar, header)

    async def remove_profile_image(self, owner: Account, which: str) -> Credentials:
        """Back to the default `avatar` or `header` (Mastodon 4.2's `DELETE /profile/…`)."""
        return await self._db.write(_remove_image, self._ctx, owner.id, which)

    def posting_defaults(self, owner: Account) -> Query[PostingDefaults]:
        """What a new post takes when the app sends no visibility, sensitivity or language."""
        return self._query(lambda session: _defaults(session, owner.id))

    async def change_password(self, user: User, current: str, new: str, host: str | None) -> None:
        await self._logins.confirm(host, user, current)
        password_hash = await asyncio.to_thread(accounts.new_password_hash, new)
        await self._db.write(accounts.set_password_hash, user.id, password_hash)

    # --- aliases and moving -----------------------------------------------------------

    def migration(self, owner: Account) -> Query[tuple[list[str], Account | None]]:
        """The account's aliases, and where it moved (if it did)."""

        def load(session: Session) -> tuple[list[str], Account | None]:
            account = session.get(Account, owner.id)
            assert account is not None
            moved_to = session.get(Account, account.moved_to_id) if account.moved_to_id else None
            return list(account.also_known_as or []), moved_to

        return self._query(load)

    async def find(self, handle: str, *, fresh: bool = False) -> Account:
        """An account by the handle a person typed: one of ours, or looked up on its server
        (`fresh`: fetched again, for an alias that may have been added a moment ago)."""
        username, _, domain = handle.strip().removeprefix("@").partition("@")
        if not domain or domain.lower() == self._ctx.settings.domain:
            return await self._db.read(accounts.by_username, username)
        found = await self._lookups.discover(handle)
        if fresh:
            return await self._lookups.actor(found.uri, refresh=True)
        return found

    async def add_alias(self, owner: Account, handle: str) -> None:
        other = await self.find(handle)
        await self._db.write(_change_aliases, self._ctx, owner.id, other.uri, None)

    async def remove_alias(self, owner: Account, uri: str) -> None:
        await self._db.write(_change_aliases, self._ctx, owner.id, None, uri)

    async def move(
        self, owner: Account, user: User, password: str, handle: str, host: str | None
    ) -> None:
        """Move to the account `handle` (which lists this one among its aliases): the
        password first, then the target fetched afresh, then followers are moved."""
        await self._logins.confirm(host, user, password)
        target = await self.find(handle, fresh=True)
        await self._db.write(_move, self._ctx, owner.id, target.id)

    # --- featured hashtags ----------------------------------------------------------------

    def featured_tags(self, owner: Account) -> Query[list[FeaturedTagView]]:
        """One's own featured hashtags."""
        return self._query(lambda session: featured_tags.of_account(session, owner.id))

    def featured_tags_of(self, account_id: int) -> Query[tuple[Account, list[FeaturedTagView]]]:
        """Anyone's (gone or suspended: `NotFound`), with the account."""

        def load(session: Session) -> tuple[Account, list[FeaturedTagView]]:
            account = shown_account(session, account_id)
            return account, featured_tags.of_account(session, account.id)

        return self._query(load)

    async def feature_tag(self, owner: Account, name: str) -> FeaturedTagView:
        return await self._db.write(_feature, self._ctx, owner.id, name)

    async def unfeature_tag(self, owner: Account, featured_id: int) -> None:
        await self._db.write(_unfeature, self._ctx, owner.id, featured_id)

    def tag_suggestions(self, owner: Account) -> Query[list[str]]:
        return self._query(lambda session: featured_tags.suggestions(session, owner.id))

    # --- finding accounts ---------------------------------------------------------------

    def shown(self, account_id: int) -> Query[Account]:
        """An account by id; gone or suspended is `NotFound`."""
        return self._query(lambda session: shown_account(session, account_id))

    def by_ids(self, ids: list[int]) -> Query[list[Account]]:
        return self._query(lambda session: accounts.by_ids(session, ids))

    def lookup(self, handle: str) -> Query[Account]:
        """By handle (`bob`, `bob@elsewhere`) among the accounts known here."""

        def load(session: Session) -> Account:
            try:
                account = accounts.by_name(session, self._ctx.settings.domain, handle)
            except NotFound:
                raise NotFound(NOT_FOUND) from None
            return shown_account(session, account.id)

        return self._query(load)

    def by_name(self, name: str) -> Query[Account]:
        return self._query(
            lambda session: accounts.by_name(session, self._ctx.settings.domain, name)
        )

    def search(
        self,
        query: str,
        limit: int,
        *,
        offset: int = 0,
        followed_by: Account | None = None,
        resolve: bool = False,
    ) -> Query[list[Account]]:
        """By handle or name; `resolve`: a handle unknown here is looked up on its server
        first (one that cannot be found is searched for like any other query)."""

        async def discover() -> None:
            await self.discover(query)

        def load(session: Session) -> list[Account]:
            return accounts.search(
                session,
                query,
                limit,
                offset=offset,
                followed_by=followed_by.id if followed_by else None,
                local_domain=self._ctx.settings.domain,
            )

        return self._query(load, before=discover if resolve else None)

    async def discover(self, query: str) -> None:
        """A handle (`name@server`) this node does not know yet, looked up on its server;
        nothing if it cannot be found."""
        if "@" not in query.strip("@"):
            return
        try:
            await self._lookups.discover(query)
        except NotFound:
            pass

    def profile_page(
        self,
        viewer: Account | None,
        name: str,
        page: Page,
        *,
        with_replies: bool = False,
        tagged: str | None = None,
        only_media: bool = False,
    ) -> Query[ProfilePage]:
        """An account's page (`bob`, or `bob@elsewhere` looked up on its server the first
        time): its posts (`only_media`: those with attachments, for the photos tab), pinned
        ones on the first page of its posts, and the viewer's relationship."""

        async def discover() -> None:
            await look_up_remote(self._lookups, self._ctx, name)

        def load(session: Session) -> ProfilePage:
            account = accounts.by_name(session, self._ctx.settings.domain, name)
            moved_to = session.get(Account, account.moved_to_id) if account.moved_to_id else None
            relationship = (
                graph.relationship(session, viewer.id, account.id)
                if viewer and viewer.id != account.id
                else None
            )
            views = timelines.profile(
                session,
                viewer,
                account,
                page,
                with_replies=with_replies or only_media,
                tagged=tagged,
                only_media=only_media,
            )
            first_page = page.max_id is None and tagged is None and not only_media
            pinned = timelines.pinned(session, viewer, account) if first_page else []
            return ProfilePage(account, moved_to, relationship, views, pinned)

        return self._query(load, before=discover)


async def look_up_remote(lookups: Lookups, ctx: Context, handle: str) -> None:
    """A remote handle (`bob@elsewhere`) seen for the first time: looked up on its server
    (WebFinger, then the actor), so it can be shown and acted on like ours (`NotFound` if
    it cannot be found); nothing for one of ours."""
    _user, _, domain = handle.partition("@")
    if domain and domain.lower() != ctx.settings.domain:
        await lookups.discover(handle)


def shown_account(session: Session, account_id: int | None) -> Account:
    """An account by id, as the API shows one: gone or suspended is `NotFound`."""
    account = session.get(Account, account_id or 0)
    if account is None or account.suspended:
        raise NotFound(NOT_FOUND)
    return account


def _credentials(session: Session, account_id: int) -> Credentials:
    account = session.get(Account, account_id)
    assert account is not None
    return Credentials(
        account, len(graph.pending_requests(session, account)), _defaults(session, account_id)
    )


def _defaults(session: Session, account_id: int) -> PostingDefaults:
    user = session.execute(select(User).where(User.account_id == account_id)).scalar()
    if user is None:  # not a local person: Mastodon's defaults
        return PostingDefaults(privacy="public", sensitive=False, language=None)
    return PostingDefaults(user.default_privacy, user.default_sensitive, user.default_language)


def _remove_image(session: Session, ctx: Context, owner_id: int, which: str) -> Credentials:
    me = session.get(Account, owner_id)
    assert me is not None
    current = [(f["name"], f["value"]) for f in me.fields]
    update = accounts.ProfileUpdate(
        display_name=me.display_name,
        note=me.note_source,
        locked=me.locked,
        fields=current,
        remove_avatar=which == "avatar",
        remove_header=which == "header",
    )
    if getattr(me, which) is not None:  # nothing to tell other servers otherwise
        accounts.update_profile(session, ctx, me, update)
    session.flush()
    return _credentials(session, owner_id)


def _register(
    session: Session,
    ctx: Context,
    form: Registration,
    secrets: AccountSecrets,
    app: OAuthApp | None,
    host: str | None = None,
) -> SignedUp:
    # The admin's e-mail and IP blocks first (core/moderation/signup_blocks.py).
    held = signup_blocks.sign_up_verdict(session, form.email, host)
    user = accounts.register(session, ctx, form, secrets)
    if held:
        user.approved = False
    moderation_accounts.record_sign_up_address(session, user.account_id, host)
    token = oauth.token_for_new_user(session, app, user) if app is not None else None
    return SignedUp(user, token)


def _create(
    session: Session, ctx: Context, form: Registration, secrets: AccountSecrets, admin: bool
) -> User:
    return accounts.register(session, ctx, form, secrets, admin=admin, bypass_mode=True)


def _setup_admin(
    session: Session, ctx: Context, token: str, form: Registration, secrets: AccountSecrets
) -> User:
    if not instance.consume_setup_token(session, token):
        raise NotFound("This setup link has already been used or is not valid.")
    return accounts.register(session, ctx, form, secrets, admin=True, bypass_mode=True)


def _update_profile(
    session: Session,
    ctx: Context,
    owner_id: int,
    change: ProfileChange,
    avatar: str | None,
    header: str | None,
) -> Credentials:
    me = session.get(Account, owner_id)
    assert me is not None
    current_fields = [(f["name"], f["value"]) for f in me.fields]
    update = accounts.ProfileUpdate(
        display_name=me.display_name if change.display_name is None else change.display_name,
        note=me.note_source if change.note is None else change.note,
        locked=me.locked if change.locked is None else change.locked,
        fields=current_fields if change.fields is None else change.fields,
        avatar=avatar,
        header=header,
        bot=change.bot,
        discoverable=change.discoverable,
        indexable=change.indexable,
        hide_collections=change.hide_collections,
    )
    accounts.set_posting_defaults(session, me, change.defaults)
    accounts.update_profile(session, ctx, me, update)
    session.flush()
    return _credentials(session, owner_id)


def _change_aliases(
    session: Session, ctx: Context, account_id: int, added: str | None, removed: str | None
) -> None:
    account = session.get(Account, account_id)
    assert account is not None
    current = [uri for uri in account.also_known_as or [] if uri != removed]
    moves.set_aliases(session, ctx, account, [*current, added] if added else current)


def _move(session: Session, ctx: Context, account_id: int, target_id: int) -> None:
    account, target = session.get(Account, account_id), session.get(Account, target_id)
    if account is None or target is None:
        raise NotFound("That account is gone.")
    moves.move(session, ctx, account, target)


def _feature(session: Session, ctx: Context, owner_id: int, name: str) -> FeaturedTagView:
    me = session.get(Account, owner_id)
    assert me is not None
    return featured_tags.feature(session, ctx, me, name)


def _unfeature(session: Session, ctx: Context, owner_id: int, featured_id: int) -> None:
    me = session.get(Account, owner_id)
    assert me is not None
    featured_tags.unfeature(session, ctx, me, featured_id)

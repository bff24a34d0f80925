"""Accounts: sign-up (in each registration mode), log-in, profiles, approval and suspension."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.core.accounts import moves
from bocage.core.accounts.passwords import hash_password
from bocage.core.content import text
from bocage.core.instance import instance
from bocage.crypto.keys import IdentityKey, RsaKey
from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from bocage.kernel.ids import new_id
from bocage.store.models import Account, Follow, User, WebSession

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1000
MAX_FIELDS = 4
MAX_DISPLAY_NAME = 30
MAX_NOTE = 500  # the bio
MAX_FIELD_CHARS = 255  # a profile field's name, and its value
RESERVED = {"admin", "root", "support", "api", "static", "media", "settings", "about", "instance"}


@dataclass(frozen=True)
class Registration:
    username: str
    email: str
    password: str
    reason: str = ""
    invite_code: str | None = None
    agreed_to_rules: bool = True


@dataclass(frozen=True)
class AccountSecrets:
    """What is slow to make (RSA keys, Argon2): made before the transaction, not inside it."""

    identity: IdentityKey
    rsa: RsaKey
    password_hash: str


def make_secrets(password: str) -> AccountSecrets:
    """Keys and password hash for a new account. Slow: run it in a thread."""
    return AccountSecrets(IdentityKey.generate(), RsaKey.generate(), hash_password(password))


@dataclass(frozen=True)
class ProfileUpdate:
    display_name: str
    note: str
    locked: bool
    fields: list[tuple[str, str]] = field(default_factory=list)
    avatar: str | None = None  # new media storage key, or None to keep the current one
    header: str | None = None
    remove_avatar: bool = False  # back to the default picture
    remove_header: bool = False
    # What the account says of itself; None keeps what is there.
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None


@dataclass(frozen=True)
class PostingDefaults:
    """What a new post takes when the app sends none (Mastodon's `source`); None keeps."""

    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None  # "" clears it


DEFAULT_PRIVACIES = ("public", "unlisted", "private")  # Mastodon's choices: never direct
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")  # en, pt-BR, zh-Hant, cnr


def validate_registration(form: Registration) -> None:
    if not USERNAME_RE.fullmatch(form.username):
        raise InvalidInput(
            "A username is 1 to 30 letters, digits or underscores.",
            field="username",
            code="invalid",
        )
    if not EMAIL_RE.fullmatch(form.email) or len(form.email) > 320:
        raise InvalidInput(
            "That does not look like an e-mail address.", field="email", code="invalid"
        )
    if len(form.password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD} characters long.",
            field="password",
            code="too_short",
        )
    if len(form.password) > MAX_PASSWORD:
        raise InvalidInput(
            f"The password can be at most {MAX_PASSWORD} characters long.",
            field="password",
            code="too_long",
        )
    if not form.agreed_to_rules:
        raise InvalidInput(
            "Please agree to the rules of this server to sign up.",
            field="agreement",
            code="accepted",
        )


def register(
    session: Session,
    ctx: Context,
    form: Registration,
    secrets: AccountSecrets,
    *,
    admin: bool = False,
    bypass_mode: bool = False,
) -> User:
    """Create a local account. `bypass_mode` is for admins (CLI, first-admin link).

    `secrets` come from `make_secrets(form.password)`, made outside the transaction.
    """
    validate_registration(form)
    if form.username.lower() in RESERVED and not bypass_mode:
        raise Conflict(
            "That username is reserved; please choose another.", field="username", code="reserved"
        )
    approved = bypass_mode or _check_mode(session, form)
    _check_free(session, form.username, form.email)
    identity, rsa = secrets.identity, secrets.rsa
    moment = now()
    account = Account(
        id=new_id(),
        username=form.username,
        domain=None,
        display_name="",  # as Mastodon: empty until its owner names it (faces show the username)
        created_at=moment,
        uri=ctx.urls.actor(form.username),
        did=identity.did,
        identity_seed=ctx.keyring.seal_seed(identity.seed),
        rsa_private_pem=ctx.keyring.seal_pem(rsa.private_pem),
        rsa_public_pem=rsa.public_pem,
        fields=[],
    )
    user = User(
        id=account.id,
        account_id=account.id,
        email=form.email.lower(),
        password_hash=secrets.password_hash,
        is_admin=admin,
        approved=approved,
        signup_reason=form.reason.strip()[:1000],
        invite_code=form.invite_code,
        created_at=moment,
    )
    try:
        session.add(account)
        session.flush()  # the account first: the user row refers to it
        session.add(user)
        session.flush()
    except IntegrityError as exc:
        # The checks above passed, but a simultaneous sign-up took the name or address.
        raise Conflict(
            "That username or e-mail address was just taken; please try another."
        ) from exc
    return user


def _check_mode(session: Session, form: Registration) -> bool:
    """Apply the registration mode; returns whether the account starts approved."""
    mode = (instance.info(session)).registration_mode
    if mode == "closed":
        raise Forbidden("Sign-ups are closed on this server.")
    if mode == "invite" or form.invite_code:
        if not form.invite_code:
            raise Forbidden("This server is invite-only: you need an invite link to sign up.")
        instance.use_invite(session, form.invite_code)
        return True
    if mode == "approval":
        if not form.reason.strip():
            raise InvalidInput(
                "Please tell the admins why you want to join.", field="reason", code="blank"
            )
        return False
    return True


def _check_free(session: Session, username: str, email: str) -> None:
    taken = session.execute(
        select(Account.id).where(
            func.lower(Account.username) == username.lower(), Account.domain.is_(None)
        )
    )
    if taken.first():
        raise Conflict(
            "That username is taken; please choose another.", field="username", code="taken"
        )
    used = session.execute(select(User.id).where(User.email == email.lower()))
    if used.first():
        raise Conflict(
            "An account with that e-mail address already exists.", field="email", code="taken"
        )


def password_holder(session: Session, login: str) -> tuple[User, Account] | None:
    """The local user a login names: a username or an e-mail address, in any case. Checking
    the password is `core/auth/logins.py`'s work (off the event loop, rate limited)."""
    login = login.strip().lower()
    query = select(User, Account).join(Account, Account.id == User.account_id)
    if "@" in login:
        query = query.where(User.email == login)
    else:
        query = query.where(func.lower(Account.username) == login, Account.domain.is_(None))
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


def admit(user: User, account: Account) -> User:
    """A user whose password was right may still be refused: suspended, or not yet approved."""
    if account.suspended:
        raise Forbidden("This account is suspended.")
    if not user.approved:
        raise Forbidden("Your sign-up is waiting for an admin's approval.")
    return user


def new_password_hash(new: str) -> str:
    """Check a new password's length and hash it (the current one is checked by
    `logins.Logins.confirm` first). Slow: run it in a thread."""
    if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD} characters long.")
    return hash_password(new)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    """Store a new password hash (made by `new_password_hash`)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    user.password_hash = password_hash


def by_username(session: Session, username: str) -> Account:
    result = session.execute(
        select(Account).where(
            func.lower(Account.username) == username.lower(), Account.domain.is_(None)
        )
    )
    account = result.scalar_one_or_none()
    if account is None:
        raise NotFound(f"There is no account @{username} here.")
    return account


def by_name(session: Session, ctx_domain: str, name: str) -> Account:
    """`alice` (local), `alice@this.domain` (local too) or `bob@elsewhere` (a remote account
    this node already knows), as people write them."""
    username, _, domain = name.removeprefix("@").partition("@")
    if not domain or domain.lower() == ctx_domain:
        return by_username(session, username)
    account = by_handle(session, username, domain)
    if account is None:
        raise NotFound(f"This server does not know @{username}@{domain} yet.")
    return account


def by_handle(session: Session, username: str, domain: str) -> Account | None:
    """A remote account this node knows, by its handle's two halves."""
    return session.execute(
        select(Account).where(
            func.lower(Account.username) == username.lower(),
            func.lower(Account.domain) == domain.lower(),
        )
    ).scalar_one_or_none()


def user_of(session: Session, account: Account) -> User | None:
    result = session.execute(select(User).where(User.account_id == account.id))
    return result.scalar_one_or_none()


def update_profile(session: Session, ctx: Context, account: Account, change: ProfileUpdate) -> None:
    display_name = change.display_name.strip()
    if len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput(
            f"The display name can be at most {MAX_DISPLAY_NAME} characters long.",
            field="display_name",
            code="too_long",
        )
    if len(change.note) > MAX_NOTE:
        raise InvalidInput(
            f"The bio can be at most {MAX_NOTE} characters long.", field="note", code="too_long"
        )
    fields = [(name.strip(), value.strip()) for name, value in change.fields if name.strip()]
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(
            f"A profile can have at most {MAX_FIELDS} fields.", field="fields", code="too_long"
        )
    if any(len(name) > MAX_FIELD_CHARS or len(value) > MAX_FIELD_CHARS for name, value in fields):
        raise InvalidInput(
            f"Profile field names and values can be at most {MAX_FIELD_CHARS} characters long.",
            field="fields",
            code="too_long",
        )
    account.display_name = display_name  # empty: the faces show the username
    account.note_source = change.note
    account.note = text.render(change.note, lambda _h: None, ctx.urls.tag) if change.note else ""
    account.locked = change.locked
    account.fields = [{"name": name, "value": value} for name, value in fields]
    if change.avatar:
        account.avatar = change.avatar
    elif change.remove_avatar:
        account.avatar = None
    if change.header:
        account.header = change.header
    elif change.remove_header:
        account.header = None
    for flag in ("bot", "discoverable", "indexable", "hide_collections"):
        if (value := getattr(change, flag)) is not None:
            setattr(account, flag, value)
    moves.announce_profile(session, ctx, account)


def set_posting_defaults(session: Session, account: Account, change: PostingDefaults) -> None:
    """The account's posting defaults; `InvalidInput` (naming the field) for a privacy
    Mastodon does not offer as a default, or a language that is no ISO 639 code."""
    if change == PostingDefaults():
        return
    user = user_of(session, account)
    if user is None:
        raise NotFound("No such user.")
    if change.privacy is not None:
        if change.privacy not in DEFAULT_PRIVACIES:
            raise InvalidInput(
                f"The default privacy is one of {', '.join(DEFAULT_PRIVACIES)}, not"
                f" {change.privacy!r}.",
                field="source[privacy]",
                code="inclusion",
            )
        user.default_privacy = change.privacy
    if change.sensitive is not None:
        user.default_sensitive = change.sensitive
    if change.language is not None:
        language = change.language.strip()
        if language and not LANGUAGE_RE.fullmatch(language):
            raise InvalidInput(
                f"The default language must be an ISO 639 code such as 'en' or 'pt-BR', not"
                f" {language!r}.",
                field="source[language]",
                code="inclusion",
            )
        user.default_language = language or None


def add_gateway(session: Session, ctx: Context, account: Account, gateway: str) -> None:
    """Another node (a pub) now holds and serves the account's objects: its actor lists it
    among its `gateways`, and its followers are told (an Update of the profile)."""
    if gateway not in (account.gateways or []):
        account.gateways = [*(account.gateways or []), gateway]
        moves.announce_profile(session, ctx, account)


def set_approved(session: Session, username: str, approved: bool = True) -> User:
    account = by_username(session, username)
    user = user_of(session, account)
    if user is None:
        raise NotFound(f"@{username} is not a local user.")
    if not approved:
        if user.approved:  # only a pending sign-up is rejected; a member is never wiped here
            raise Conflict(f"@{username} is not waiting for approval.")
        session.delete(account)  # rejecting a sign-up removes it
    else:
        user.approved = True
    return user


def set_suspended(session: Session, username: str, suspended: bool = True) -> Account:
    account = by_username(session, username)
    user = user_of(session, account)
    if suspended and user is not None and user.is_admin:
        raise Forbidden("An admin account cannot be suspended; remove the admin role first.")
    account.suspended = suspended
    if suspended and user is not None:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        events.emit(session, "account.suspended", account_id=account.id)
    return account


def local_accounts(
    session: Session, name_contains: str = "", limit: int = 200
) -> list[tuple[Account, User | None]]:
    """Local accounts (with their user, if any) by username, for the admins' list."""
    query = (
        select(Account, User)
        .outerjoin(User, User.account_id == Account.id)
        .where(Account.domain.is_(None))
        .order_by(Account.username)
        .limit(limit)
    )
    if name_contains:
        query = query.where(func.lower(Account.username).contains(name_contains.lower()))
    return [(account, user) for account, user in session.execute(query).all()]


def pending_signups(session: Session) -> list[tuple[User, Account]]:
    rows = session.execute(
        select(User, Account)
        .join(Account, Account.id == User.account_id)
        .where(User.approved.is_(False))
        .order_by(User.created_at)
    )
    return [(user, account) for user, account in rows.all()]


def by_ids(session: Session, ids: list[int], *, with_suspended: bool = False) -> list[Account]:
    """The known accounts among `ids`, in the order given; suspended ones only if asked."""
    if not ids:
        return []
    query = select(Account).where(Account.id.in_(ids))
    if not with_suspended:
        query = query.where(Account.suspended.is_(False))
    rows = session.execute(query)
    found = {account.id: account for account in rows.scalars()}
    return [found[account_id] for account_id in dict.fromkeys(ids) if account_id in found]


def search(
    session: Session,
    query: str,
    limit: int = 20,
    *,
    offset: int = 0,
    followed_by: int | None = None,
    local_domain: str | None = None,
) -> list[Account]:
    """Known accounts whose username or display name starts with `query` (a handle's
    `name@domain` narrows to that server; `local_domain` is this node's), local ones
    first; with `followed_by`, only those that account follows."""
    name, _, domain = query.strip().removeprefix("@").partition("@")
    if not name:
        return []
    pattern = name.lower().replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    found = select(Account).where(
        or_(
            func.lower(Account.username).like(pattern, escape="\\"),
            func.lower(Account.display_name).like(pattern, escape="\\"),
        ),
        Account.suspended.is_(False),
    )
    if domain and domain.lower() == (local_domain or "").lower():
        found = found.where(Account.domain.is_(None))
    elif domain:
        found = found.where(func.lower(Account.domain) == domain.lower())
    if followed_by is not None:
        followed = select(Follow.target_id).where(
            Follow.follower_id == followed_by, Follow.accepted.is_(True)
        )
        found = found.where(Account.id.in_(followed))
    rows = session.execute(
        found.order_by(Account.domain.is_not(None), Account.username, Account.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars())

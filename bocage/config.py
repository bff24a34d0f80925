"""Settings: a TOML file in the data directory, overridden by BOCAGE_* environment variables.

`bocage init` writes `bocage.toml`; everything else reads it through `load_settings`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bocage.datadir import DIRECTORY_MODE, write_private

CONFIG_FILE = "bocage.toml"
# A host name or an IP address (IPv6 in brackets), with an optional port.
DOMAIN_RE = re.compile(r"^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOCAGE_", extra="forbid")

    data_dir: Path = Path("data")
    domain: str = "127.0.0.1:8000"
    secret_key: str = Field(default="", repr=False)
    # Set only while `bocage secret rotate` runs (or if it stopped half-way): the secret the
    # private keys were sealed with before; the node re-seals them with `secret_key` at start.
    previous_secret_key: str = Field(default="", repr=False)
    database_url: str = ""
    # Development and tests only: lets a node with a loopback domain use http:// URLs and
    # fetch from loopback addresses, so several nodes can federate on one machine.
    insecure_loopback: bool = False
    # Mastodon's "secure mode": every fetch of a post must be signed, and followers-only or
    # direct posts are served to the servers of the people allowed to see them.
    authorized_fetch: bool = False
    max_post_chars: int = Field(default=500, ge=1, le=100_000)
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # A video or audio upload (Mastodon's 99 MB), probed and rewritten by ffmpeg.
    video_max_upload_bytes: int = Field(default=99 * 1024 * 1024, ge=1024)
    max_form_bytes: int = Field(default=64 * 1024, ge=1024)
    # Attachments per post (an album: Pixelfed's up to 20); the admin page may change it.
    max_media_attachments: int = Field(default=10, ge=1, le=20)
    # Other servers' media cached here (attachments, avatars, headers): past this many bytes
    # the least recently used are evicted (fetched again when next shown); uploads never.
    media_cache_bytes: int = Field(default=5 * 1024**3, ge=0)
    # Polls, as Mastodon limits them: options per poll, and the shortest duration people may
    # choose (tests lower it to see polls close; Mastodon's is five minutes).
    max_poll_options: int = Field(default=4, ge=2, le=20)
    poll_min_expiry_seconds: int = Field(default=300, ge=1, le=2_629_746)
    # Network jobs (deliveries, fetches) in flight at once; each host gets at most 8.
    job_concurrency: int = Field(default=64, ge=1, le=1024)
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    # Failed log-ins (core/auth/logins.py): per address and login and window, and per login
    # from anywhere per hour.
    login_attempts_per_window: int = Field(default=5, ge=1)
    login_window_seconds: float = Field(default=300.0, gt=0)
    login_attempts_per_login_per_hour: int = Field(default=50, ge=1)
    # Sign-ups per client address in 30 minutes, web and API together (core/auth/signups.py):
    # Mastodon's 5; a community signing people up behind one address raises it for a while.
    signups_per_address: int = Field(default=5, ge=1)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks, e.g. ["127.0.0.1"] behind nginx on the same machine); empty: none, and a
    # client's address is the one it connects from.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Client API requests per access token (or IP address) and window, as Mastodon: 0 = off.
    api_requests_per_window: int = Field(default=300, ge=0)
    api_window_seconds: float = Field(default=300.0, gt=0)
    # Peer replication (docs/protocol.md): how often logs are synced with peers, and the
    # room other authors' content (their log entries' activities and their posts' cached
    # files) may take here (the oldest is evicted beyond it; 0: no limit).
    sync_interval_seconds: float = Field(default=300.0, gt=0)
    replica_bytes_per_author: int = Field(default=256 * 1024 * 1024, ge=0)
    replica_bytes_total: int = Field(default=5 * 1024 * 1024 * 1024, ge=0)
    # Peer-to-peer requests (clock, log pages) per peer and minute.
    p2p_requests_per_minute: int = Field(default=600, ge=0)
    # Advertise this node on the local network (DNS-SD over mDNS) and find others there.
    lan_discovery: bool = True
    # A pub: keeps the logs of the accounts that register it as their gateway (`serve --pub`).
    pub: bool = False
    # The IPv4 addresses of the interfaces to use for it; empty: all (tests: ["127.0.0.1"]).
    lan_interfaces: list[str] = Field(default_factory=list)
    # Where media files are kept (adapters/storage.py, adapters/s3.py): the data directory's
    # media/ folder, or an S3-compatible object store (bucket required). With a public base
    # URL (a CDN or the bucket's own address), clients are sent there for the files;
    # without one, the node streams them from the store.
    media_storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_region: str = ""
    s3_access_key: str = Field(default="", repr=False)
    s3_secret_key: str = Field(default="", repr=False)
    s3_public_base_url: str = ""

    @field_validator("domain")
    @classmethod
    def _domain_is_a_host(cls, value: str) -> str:
        value = value.strip().lower()
        if not DOMAIN_RE.match(value):
            raise ValueError("must be a host name with an optional port, like example.org:8000")
        return value

    @model_validator(mode="after")
    def _s3_has_a_bucket(self) -> Settings:
        if self.media_storage == "s3" and not self.s3_bucket:
            raise ValueError('media_storage = "s3" needs s3_bucket (and usually s3_endpoint_url)')
        return self

    @property
    def max_request_bytes(self) -> int:
        """The largest body a form route takes: a profile update with an avatar and a header,
        or at least 2 MiB (an inbox takes activities of up to 1 MiB)."""
        return max(2 * self.max_upload_bytes, 2 * 1024 * 1024) + 65536

    @property
    def max_body_bytes(self) -> int:
        """The largest body any route takes (the edge's bound): a form's, or a video upload
        to `POST /api/v2/media`; each route caps its own body below it."""
        return max(self.max_request_bytes, self.video_max_upload_bytes + 65536)

    @property
    def is_loopback_domain(self) -> bool:
        host = self.domain.rsplit(":", 1)[0] if self.domain.count(":") == 1 else self.domain
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            return False

    @property
    def base_url(self) -> str:
        scheme = "http" if self.insecure_loopback and self.is_loopback_domain else "https"
        return f"{scheme}://{self.domain}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'bocage.db'}"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, if the database is one (None for a malformed URL too:
        opening the database says what is wrong with it)."""
        try:
            url = make_url(self.effective_database_url)
        except ArgumentError:
            return None
        if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over explicit values (which come from the TOML file).
        return (env_settings, init_settings)


def default_data_dir() -> Path:
    return Path(os.environ.get("BOCAGE_DATA", "data"))


def read_config_file(data_dir: Path) -> dict[str, Any]:
    path = data_dir / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    data_dir = data_dir or default_data_dir()
    values = read_config_file(data_dir)
    values.update(overrides)
    values["data_dir"] = data_dir
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, data_dir)) from exc
    if not settings.secret_key:
        raise ConfigError(
            f"no secret_key in {data_dir / CONFIG_FILE}: run `bocage init --data {data_dir}` first"
        )
    return settings


def write_config_file(data_dir: Path, domain: str, *, insecure_loopback: bool) -> Path:
    """Write a fresh bocage.toml with a new secret key; refuses to overwrite."""
    path = data_dir / CONFIG_FILE
    if path.exists():
        raise ConfigError(f"{path} already exists; this data directory is initialised")
    # Validate (and normalise) --domain itself before anything is written: not through
    # Settings(), where a BOCAGE_DOMAIN variable would win and any other bad BOCAGE_* variable
    # would be blamed on the domain.
    domain = Settings._domain_is_a_host(domain)
    data_dir.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    lines = [
        "# Bocage node settings. Any key can be overridden by a BOCAGE_<KEY> variable.",
        f'domain = "{domain}"',
        f'secret_key = "{new_secret()}"',
        f"insecure_loopback = {'true' if insecure_loopback else 'false'}",
        "max_post_chars = 500",
        "",
    ]
    write_private(path, "\n".join(lines))
    return path


SECRET_NAMES = ("secret_key", "previous_secret_key")
_SECRET_LINE = re.compile(r"^\s*(secret_key|previous_secret_key)\s*=")


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def without_secrets(text: str) -> str:
    """bocage.toml's text without its secrets (what a backup keeps of it)."""
    return "".join(line for line in text.splitlines(keepends=True) if not _SECRET_LINE.match(line))


def with_secrets(text: str, secret: str, previous: str = "") -> str:
    """bocage.toml's text with these secrets (`previous` empty: none), every other line kept;
    checked to read back as given before anything is written."""
    lines = without_secrets(text).splitlines()
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("domain")), len(lines))
    added = [f'secret_key = "{secret}"'] + (
        [f'previous_secret_key = "{previous}"'] if previous else []
    )
    result = "\n".join([*lines[:at], *added, *lines[at:]]) + "\n"
    try:
        values = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"bocage.toml could not be rewritten with a new secret: {exc}") from exc
    if values.get("secret_key") != secret or values.get("previous_secret_key", "") != previous:
        raise ConfigError("bocage.toml could not be rewritten with a new secret")
    return result


def write_secrets(data_dir: Path, secret: str, previous: str = "") -> None:
    """Replace the secrets in DATA/bocage.toml (atomically, mode 0600)."""
    path = data_dir / CONFIG_FILE
    write_private(path, with_secrets(path.read_text(encoding="utf-8"), secret, previous))


def _explain(exc: ValidationError, data_dir: Path) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"  {where}: {error['msg']}")
    return f"invalid settings (from {data_dir / CONFIG_FILE} or BOCAGE_*):\n" + "\n".join(problems)

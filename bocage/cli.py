"""`bocage`: init, serve, worker, user …, migrate, backup, restore.

Every command takes --data DIR (default ./data, or $BOCAGE_DATA). Errors print one clear
line and exit with status 1; they never print a traceback.

What is printed is printed as it is, because lines carry text from outside (dids, URLs,
names, the reasons peers give): rich's markup (`[bold]`), emoji codes (`:key:`, which turned
`did:key:z6Mk…` into `did🔑z6Mk…`) and highlighting are off, and control characters are
written out (`\x1b`, `\x0a`), so that a peer's words cannot drive the terminal or forge a
line of output. Each print is one line; styles come from styled parts (`line`), never from
markup in a string.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys
import tarfile
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bocage import datadir, server
from bocage.config import (
    CONFIG_FILE,
    ConfigError,
    Settings,
    load_settings,
    new_secret,
    with_secrets,
    write_config_file,
    write_secrets,
)
from bocage.core.accounts import keystore
from bocage.core.accounts.accounts import Registration
from bocage.core.replication import peers
from bocage.crypto import sealing
from bocage.crypto.sealing import SealingError
from bocage.kernel.context import Context
from bocage.kernel.errors import DomainError
from bocage.node import media_store
from bocage.p2p.sync import SyncReport
from bocage.services.replication import PeerBookView, ReplicationService
from bocage.store import backup as backups
from bocage.store import id_slots
from bocage.store import migrate as migrations
from bocage.store.db import Database

if TYPE_CHECKING:
    from bocage.node import Node
    from bocage.services import Services

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Bocage: your own social node.")
user_app = typer.Typer(no_args_is_help=True, help="Manage local accounts.")
app.add_typer(user_app, name="user")
peer_app = typer.Typer(no_args_is_help=True, help="Peers this node replicates author logs with.")
app.add_typer(peer_app, name="peer")
secret_app = typer.Typer(no_args_is_help=True, help="The secret the private keys are sealed with.")
app.add_typer(secret_app, name="secret")
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_WRITTEN_OUT = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: str) -> str:
    """`text` with its control characters written out."""
    return text.translate(_WRITTEN_OUT)


def line(*parts: str | tuple[str, str]) -> Text:
    """A line made of plain parts and (text, style) parts, all printable."""
    return Text.assemble(
        *(printable(part) if isinstance(part, str) else (printable(part[0]), part[1])
          for part in parts)
    )  # fmt: skip


class Terminal(Console):
    """A rich console that prints text as it is (see above). soft_wrap: never break a path
    or a link across lines."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, soft_wrap=True, markup=False, emoji=False,
                         highlight=False)  # fmt: skip

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(printable(o) if isinstance(o, str) else o for o in objects), **options)


console = Terminal()
errors = Terminal(stderr=True)

DataOption = Annotated[
    Path,
    typer.Option(
        "--data", envvar="BOCAGE_DATA", help="Data directory (settings, database, media)."
    ),
]
T = TypeVar("T")


def fail(message: str) -> typer.Exit:
    errors.print(line(("error:", "bold red"), " ", message))
    return typer.Exit(1)


def settings_for(data: Path) -> Settings:
    """The settings of the data directory `data`, which is made private if it was not."""
    try:
        settings = load_settings(data)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    for warning in datadir.make_private(settings.data_dir, settings.sqlite_path):
        errors.print(line(("warning:", "bold yellow"), f" {warning}"))
    return settings


def run(work: Callable[[], T]) -> T:
    """Run a command's work, turning the errors people can fix into one clear line."""
    try:
        return work()
    except DomainError as exc:
        raise fail(exc.message) from None
    except (backups.BackupError, id_slots.SlotsTaken, SealingError, ConfigError) as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:  # e.g. a database that does not exist, a malformed URL
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if isinstance(exc, OperationalError) and "connection" in reason.lower():
            raise fail(f"cannot connect to the database: {reason}") from None
        raise fail(f"database error: {reason}") from None
    except migrations.MigrationError as exc:  # e.g. a revision this version does not know
        raise fail(f"database migration failed: {exc}") from None
    except (ConnectionError, socket.gaierror) as exc:  # the database server does not answer
        raise fail(f"cannot connect to the database: {exc}") from None
    except OSError as exc:  # e.g. a path that is not writable
        raise fail(str(exc) or type(exc).__name__) from None


def with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """`work` done through the services of this data directory's node, started for this one
    command (`_started_node`: the schema made current, the keys sealed), as `run` does it."""

    async def on_node() -> T:
        async with _started_node(settings) as node:
            return await work(node.services)

    return run(lambda: asyncio.run(on_node()))


@contextmanager
def database(settings: Settings) -> Iterator[Database]:
    migrations.upgrade(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    try:
        yield db
    finally:
        db.close()


@app.command()
def init(
    domain: Annotated[str, typer.Option(help="Public host name, with :port if not 443.")],
    data: DataOption = Path("data"),
    insecure_loopback: Annotated[
        bool,
        typer.Option(help="Development/tests only: http:// URLs and loopback fetches."),
    ] = False,
) -> None:
    """Create a data directory with its settings file and an empty database."""
    try:
        path = write_config_file(data, domain, insecure_loopback=insecure_loopback)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(f"invalid --domain {domain!r}: {exc}") from None
    settings = settings_for(data)
    run(lambda: migrations.upgrade(settings.effective_database_url))
    console.print(f"Initialised {data} (settings in {path}).")


@app.command()
def migrate(data: DataOption = Path("data")) -> None:
    """Apply database migrations (also done automatically at start)."""
    settings = settings_for(data)
    run(lambda: migrations.upgrade(settings.effective_database_url))
    console.print("The database schema is up to date.")


@app.command()
def serve(
    data: DataOption = Path("data"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Run the job worker in this process.")] = True,
    pub: Annotated[
        bool, typer.Option(help="Keep and serve the logs of accounts that register this node.")
    ] = False,
) -> None:
    """Run the node: web UI and job worker in one process."""
    settings = settings_for(data)
    if pub:
        settings = settings.model_copy(update={"pub": True})
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _prepare_to_serve(settings, host, port)
    from bocage.app import create_app

    app = create_app(settings, run_worker=worker)
    config = server.config(app, host, port, settings.trusted_proxies)
    server.raise_open_files_limit()
    console.print(f"Bocage is listening on http://{host}:{port} (public URL {settings.base_url})")
    _tune_garbage_collector()
    server.Server(config, end_streams=app.state.streams.end_streams).run()


def _tune_garbage_collector() -> None:
    """Full collections walked every object the imports made, stalling all requests: the
    inbox's p99 at 32 concurrent senders was 100 ms, 25-45 ms with this. What exists at
    start-up is moved out of the collector's sight (`freeze`), and young collections run
    every 50,000 allocations instead of every 700."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _prepare_to_serve(settings: Settings, host: str, port: int) -> None:
    """Before listening: the schema is current, the keys are sealed (a wrong secret_key stops
    here, with a clear message), and without an admin the link that makes one is shown."""
    token = with_services(settings, lambda services: services.instance.setup_token())
    if settings.previous_secret_key:
        errors.print(line(
            ("warning:", "bold yellow"),
            " a secret rotation did not finish; every private key is now sealed with the"
            " new secret_key. Run `bocage secret rotate` again (node stopped), or remove"
            " previous_secret_key from bocage.toml.",
        ))  # fmt: skip
    if token is None:
        return
    console.print()
    console.print(line(("No admin account yet.", "bold"), " Open this one-time link to create it:"))
    console.print(f"  http://{host}:{port}/setup/{token}")
    console.print()


@app.command("worker")
def worker_command(
    data: DataOption = Path("data"),
    once: Annotated[bool, typer.Option(help="Run due jobs, then exit.")] = False,
) -> None:
    """Run only the job worker (for setups with several processes)."""
    settings = settings_for(data)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run(lambda: asyncio.run(_work(settings, once)))


async def _work(settings: Settings, once: bool) -> None:
    from bocage.node import Node

    node = Node(settings, run_worker=not once)
    await node.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)  # finish running jobs, then exit
    try:
        if once:
            await node.worker.run_until_idle()
        else:
            await stopping.wait()
    finally:
        await node.stop()


@user_app.command("create")
def user_create(
    username: str,
    email: Annotated[str, typer.Option(help="E-mail address (used to log in).")],
    password: Annotated[str, typer.Option(help="At least 8 characters.")],
    admin: Annotated[bool, typer.Option(help="Make this account an admin.")] = False,
    data: DataOption = Path("data"),
) -> None:
    """Create an approved local account (whatever the registration mode)."""
    settings = settings_for(data)
    form = Registration(username, email, password)
    with_services(settings, lambda services: services.accounts.create(form, admin=admin))
    console.print(f"Created @{username}{' (admin)' if admin else ''}.")


def _user_change(data: Path, action: str, username: str) -> None:
    settings = settings_for(data)

    async def change(services: Services) -> None:
        if action == "approve":
            await services.moderation.approve(username, True)
        else:
            await services.moderation.suspend(username, action == "suspend")

    with_services(settings, change)
    console.print(f"@{username}: {action} done.")


@user_app.command("approve")
def user_approve(username: str, data: DataOption = Path("data")) -> None:
    """Approve a sign-up that waits for approval."""
    _user_change(data, "approve", username)


@user_app.command("suspend")
def user_suspend(username: str, data: DataOption = Path("data")) -> None:
    """Suspend an account: it can no longer log in and its posts are hidden."""
    _user_change(data, "suspend", username)


@user_app.command("unsuspend")
def user_unsuspend(username: str, data: DataOption = Path("data")) -> None:
    """Lift a suspension."""
    _user_change(data, "unsuspend", username)


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Option("--out", help="Archive to write (.tar.gz).")],
    data: DataOption = Path("data"),
    include_secret: Annotated[
        bool,
        typer.Option(help="Also keep secret_key, which unseals the private keys (then keep "
                     "the archive as safe as the keys themselves)."),
    ] = False,
) -> None:  # fmt: skip
    """Write a backup: settings, every table, and media files. The private keys in it are
    sealed; the secret that opens them is left out unless --include-secret."""
    settings = settings_for(data)
    ring = Context.from_settings(settings).keyring

    def take() -> dict[str, int]:
        with database(settings) as db:
            keystore.seal_stored(db, ring)  # no key leaves unsealed, even from an old node
            return backups.create(
                db, settings.data_dir, out, sealed_with=ring.current.key_id,
                include_secret=include_secret,
            )  # fmt: skip

    counts = run(take)
    console.print(f"Backup written to {out} ({sum(counts.values())} rows).")
    if not include_secret:
        console.print(
            f"Its private keys are sealed with this node's secret_key (key id "
            f"{ring.current.key_id}), which it does not hold: keep a copy of that secret "
            f"elsewhere (from {settings.data_dir / CONFIG_FILE}); restoring needs it."
        )


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup archive from `bocage backup`.")],
    data: DataOption = Path("data"),
) -> None:
    """Restore a backup into a new data directory (or an empty database). The settings come
    from the archive; its secret_key, which a backup leaves out, from BOCAGE_SECRET_KEY."""
    if not (data / CONFIG_FILE).exists():
        _restore_config(source, data)
    settings = settings_for(data)
    key_id = Context.from_settings(settings).keyring.current.key_id

    def load() -> dict[str, int]:
        db = Database(settings.effective_database_url)
        try:
            return backups.restore(db, settings.data_dir, source, key_id=key_id)
        finally:
            db.close()

    counts = run(load)
    console.print(f"Restored {sum(counts.values())} rows into {data}.")


def _restore_config(source: Path, data: Path) -> None:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(CONFIG_FILE)
            if member is None:
                raise KeyError(CONFIG_FILE)
            text = member.read().decode("utf-8")
            has_secret = "secret_key" in tomllib.loads(text)
    except (tarfile.TarError, OSError, KeyError, UnicodeDecodeError, ValueError) as exc:
        raise fail(f"cannot read settings from {source}: {exc}") from None
    secret = os.environ.get("BOCAGE_SECRET_KEY", "")
    if not has_secret and not secret:
        raise fail(
            f"{source} holds no secret_key (a backup leaves it out: it opens the private "
            "keys). Give the secret_key of the node it came from: BOCAGE_SECRET_KEY=… "
            f"bocage restore {source} --data {data}"
        )
    run(
        lambda: datadir.write_private(
            data / CONFIG_FILE, text if has_secret else with_secrets(text, secret)
        )
    )


@user_app.command("gateway-add")
def user_gateway_add(username: str, pub_url: str, data: DataOption = Path("data")) -> None:
    """Register the pub at PUB_URL (a node run with `serve --pub`) as a gateway of USERNAME:
    it keeps and serves their posts while this node is offline."""
    settings = settings_for(data)
    pub = run(lambda: asyncio.run(_register_pub(settings, username, pub_url)))
    console.print(f"@{username}'s posts are now kept by the pub {pub} too.")


@asynccontextmanager
async def _started_node(settings: Settings) -> AsyncIterator[Node]:
    """A node for one command: started without its background work, which the command runs
    to the end itself (`run_until_idle`) before the node stops."""
    from bocage.node import Node

    node = Node(settings, run_worker=False)
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


async def _register_pub(settings: Settings, username: str, pub_url: str) -> str:
    async with _started_node(settings) as node:
        pub = await node.replication.register_pub(username, pub_url)
        await node.worker.run_until_idle()  # followers are told of the new gateway
        return pub


@peer_app.command("add")
def peer_add(url: str, data: DataOption = Path("data")) -> None:
    """Replicate with the node at URL (e.g. https://example.org)."""
    peer = _with_peer_book(settings_for(data), lambda book: book.add(url))
    if peer is None:
        raise fail(f"{url} is this node itself.")
    console.print(f"Peer {peer.url} added; `bocage sync` syncs with it now.")


@peer_app.command("remove")
def peer_remove(url: str, data: DataOption = Path("data")) -> None:
    """Stop replicating with the node at URL."""
    if not _with_peer_book(settings_for(data), lambda book: book.remove(url)):
        raise fail(f"{url} is not a peer of this node (see `bocage peer list`).")
    console.print(f"Peer {peers.base_url(url)} removed.")


@peer_app.command("list")
def peer_list(data: DataOption = Path("data")) -> None:
    """Known peers: where they came from, the last sync and how it went; forked logs."""
    book = _with_peer_book(settings_for(data), _read_book)
    if not book.peers:
        console.print("No peers yet: `bocage peer add URL` adds one.")
    for peer in book.peers:  # one line each, whole: scripts and narrow terminals read it alike
        last = peer.last_sync_at.strftime("%Y-%m-%d %H:%M:%S") if peer.last_sync_at else "never"
        console.print(
            f"{peer.url}  {peer.source}  last sync {last}  {peer.state}  "
            f"{peer.entries_received} entries  score {peer.score}"
            + (f"  ({peer.last_error[:120]})" if peer.last_error else "")
        )
    for fork in book.forks:
        console.print(line(("forked log:", "bold red"), f" {fork.did} at seq {fork.seq} (seen "
                           f"from {fork.peer}): no longer replicated."))  # fmt: skip
    if book.candidates:
        console.print(f"{book.candidates} other nodes named by peers: candidates, not peers "
                      "(each is asked once, at a sync, whether it is a node).")  # fmt: skip


def _with_peer_book(
    settings: Settings, use: Callable[[ReplicationService], Coroutine[Any, Any, T]]
) -> T:
    """`use` run on the replication service of the node in `settings`' data directory (the
    peer book needs its database only, not a started node)."""

    def work() -> T:
        with database(settings) as db:
            service = ReplicationService(db, Context.from_settings(settings), media_store(settings))
            return asyncio.run(use(service))

    return run(work)


async def _read_book(book: ReplicationService) -> PeerBookView:
    return await book.book()


@app.command("sync")
def sync_command(data: DataOption = Path("data")) -> None:
    """Sync author logs with every known peer now, then apply what arrived."""
    settings = settings_for(data)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = run(lambda: asyncio.run(_sync(settings)))
    console.print(
        f"Synced with {report.peers_answered} of {report.peers_asked} peers: "
        f"{report.entries} new entries from {report.authors_behind} authors, "
        f"{report.rejected} rejected, {report.forks} forked logs."
    )
    for url, error in report.errors.items():
        console.print(f"  {url}: {error}")
    if report.candidates_asked:
        asked, confirmed = report.candidates_asked, report.candidates_confirmed
        console.print(f"Asked {asked} of the nodes named by peers whether they are nodes: "
                      f"{confirmed} answered as one (now peers).")  # fmt: skip


async def _sync(settings: Settings) -> SyncReport:
    async with _started_node(settings) as node:
        with Progress(
            TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar:
            task = bar.add_task("sync", total=None)
            report = await node.replication.sync(
                lambda done, total: bar.update(task, completed=done, total=total or None)
            )
        await node.worker.run_until_idle()  # what arrived becomes posts, deletions…
        return report


@secret_app.command("rotate")
def secret_rotate(data: DataOption = Path("data")) -> None:
    """Seal every private key with a new secret_key and forget the old one. Stop the node
    (every process) first; people are logged out of the web pages (cookies are signed with
    the secret), apps' tokens keep working."""
    for name in ("BOCAGE_SECRET_KEY", "BOCAGE_PREVIOUS_SECRET_KEY"):
        if os.environ.get(name):
            raise fail(
                f"the secret comes from {name}, not from {data / CONFIG_FILE}: unset it to "
                "rotate the secret in the file, or rotate it where the variable is set"
            )
    settings = settings_for(data)
    resealed, key_id = with_services(settings, lambda services: _rotate(settings, services))
    console.print(
        f"New secret_key (key id {key_id}) written to {data / CONFIG_FILE}; {resealed} "
        "private keys sealed with it. Keep a copy of it elsewhere: restoring a backup made "
        "from now on needs it."
    )


async def _rotate(settings: Settings, services: Services) -> tuple[int, str]:
    """Crash-safe in this order. (1) The file gets the new secret, the old one as
    `previous_secret_key`: from then on any start opens both and seals with the new one, so a
    rotation cut short anywhere later is finished by the next start (or the next rotate).
    (2) Every key is re-sealed in one transaction. (3) The old secret leaves the file.
    An earlier rotation that stopped half-way was finished by the start of the node the
    services belong to (it sealed every key with `secret_key`); its file is mended here."""
    data, old = settings.data_dir, settings.secret_key
    if settings.previous_secret_key:
        write_secrets(data, old)
    new = new_secret()
    write_secrets(data, new, old)  # (1)
    ring = sealing.keyring(new, old)
    resealed = await services.accounts.seal_keys(ring)  # (2), and the old values' space rewritten
    write_secrets(data, new)  # (3)
    return resealed, ring.current.key_id


def main() -> None:
    datadir.private_umask()  # what the node creates is its user's alone
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()

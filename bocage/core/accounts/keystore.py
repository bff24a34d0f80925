"""The node's private keys in the database: every local account's Ed25519 seed and RSA key,
the instance actor's RSA key, the VAPID key and the tokens Web Push messages carry
(core/push). They are stored sealed (`crypto/sealing.py`); this module seals what is not
sealed with the current secret yet, in one transaction:

- at every start (`Node.start`, and `bocage serve` before it listens): rows from before
  sealing existed are sealed, rows sealed with `previous_secret_key` (a rotation that stopped
  half-way) are re-sealed; rows sealed with a secret this node does not have stop the start
  with a clear message (a wrong `secret_key`) instead of signing nothing later;
- by `bocage secret rotate`, which makes the current secret the previous one first;
- by `bocage backup`, so that no key leaves unsealed.

Only rows that need it are read (a prefix comparison in SQL), so a start with everything
sealed costs one narrow scan of the accounts. When something was (re-)sealed, the database is
scrubbed (`Database.scrub`): the old plain or old-secret values must not stay readable in its
files (SQLite's WAL, PostgreSQL's dead row versions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bocage.core.instance.instance import INSTANCE_KEY
from bocage.core.push import push
from bocage.crypto import sealing
from bocage.crypto.sealing import Keyring
from bocage.store.models import Account, InstanceSetting, WebPushSubscription

if TYPE_CHECKING:
    from bocage.store.db import Database

ACCOUNTS = Account.__table__
RESEAL = (
    update(ACCOUNTS)
    .where(ACCOUNTS.c.id == bindparam("account"))
    .values(identity_seed=bindparam("seed"), rsa_private_pem=bindparam("pem"))
)


def seal_stored(db: Database, ring: Keyring) -> int:
    """`seal_all` in one transaction, then the database scrubbed if anything changed; how
    many rows changed. Synchronous (the CLI's commands, or a thread at start)."""
    with db.transaction() as session:
        changed = seal_all(session, ring)
    if changed:
        db.scrub(
            [
                Account.__tablename__,
                InstanceSetting.__tablename__,
                WebPushSubscription.__tablename__,
            ]
        )
    return changed


def seal_all(session: Session, ring: Keyring) -> int:
    """Seal with `ring`'s current key every private key not sealed with it; how many rows
    changed. Raises SealingError if one is sealed with a secret `ring` does not hold."""
    changed = [_resealed(ring, *row) for row in session.execute(_needing(ring))]
    if changed:
        session.execute(RESEAL, changed)
    # The VAPID key and the access tokens push messages carry (core/push) too.
    return len(changed) + _seal_instance_key(session, ring) + push.reseal(session, ring)


def _needing(ring: Keyring) -> Select[int, bytes | None, str | None]:
    sealed_seed = f"{sealing.PREFIX}{ring.current.key_id}:".encode("ascii")
    sealed_pem = f"{sealing.PREFIX}{ring.current.key_id}:%"
    seed, pem = Account.identity_seed, Account.rsa_private_pem
    return select(Account.id, seed, pem).where(
        or_(
            seed.is_not(None) & (func.substr(seed, 1, len(sealed_seed)) != sealed_seed),
            pem.is_not(None) & pem.not_like(sealed_pem),
        )
    )


def _resealed(
    ring: Keyring, account_id: int, seed: bytes | None, pem: str | None
) -> dict[str, object]:
    return {
        "account": account_id,
        "seed": _reseal_seed(ring, seed),
        "pem": _reseal_pem(ring, pem),
    }


def _reseal_seed(ring: Keyring, stored: bytes | None) -> bytes | None:
    if stored is None or ring.is_current(stored):
        return stored
    return ring.seal_seed(sealing.open_seed(stored))


def _reseal_pem(ring: Keyring, stored: str | None) -> str | None:
    if stored is None or ring.is_current(stored):
        return stored
    return ring.seal_pem(sealing.open_pem(stored))


def _seal_instance_key(session: Session, ring: Keyring) -> int:
    row = session.get(InstanceSetting, INSTANCE_KEY)
    if row is None or ring.is_current(row.value["private_pem"]):
        return 0
    row.value = {**row.value, "private_pem": _reseal_pem(ring, row.value["private_pem"])}
    return 1

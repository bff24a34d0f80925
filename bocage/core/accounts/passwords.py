"""Password hashing with Argon2id. A hash takes tens of milliseconds: callers run these in a
thread and outside database transactions.

`check_password` with no hash (a login that does not exist) checks the password against a
dummy hash made with the same parameters, so that it takes as long as for a real account: the
time of an answer does not tell which logins exist.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Does `password` match? With no hash, as slow as with one, and never true."""
    if password_hash is None:
        _verify(_dummy_hash(), password)
        return False
    return _verify(password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash of a random password nobody knows, made once per process."""
    return _hasher.hash(secrets.token_urlsafe(32))

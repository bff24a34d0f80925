"""What core services need to know about the node they run in."""

from __future__ import annotations

from dataclasses import dataclass

from bocage.config import Settings
from bocage.crypto.sealing import Keyring, keyring
from bocage.kernel.urls import Urls


@dataclass(frozen=True)
class Context:
    settings: Settings
    urls: Urls
    keyring: Keyring  # seals the private keys this node makes (crypto/sealing.py)

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(
            settings=settings,
            urls=Urls(settings.base_url),
            keyring=keyring(settings.secret_key, settings.previous_secret_key),
        )

"""Web Push's cryptography, by the libraries that do it (never by hand): `pywebpush` encrypts
a message for a subscription's keys (RFC 8291's `aes128gcm`, RFC 8188; or the older
`aesgcm` draft that Mastodon's subscriptions used before `standard`), with `http-ece`
underneath; `py-vapid` makes the node's VAPID key and signs each request with it (RFC 8292;
the draft's `WebPush` scheme for the older subscriptions). No rule here: which notification
goes where, and what it says, is core/push; the sending is services/push.py's."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid01, Vapid02
from pywebpush import WebPusher, WebPushException

from bocage.core.push.push import Sealed, VapidKey
from bocage.kernel.errors import InvalidInput

TOKEN_SECONDS = 12 * 3600  # a VAPID token's life (RFC 8292: at most 24 hours)
STANDARD = "aes128gcm"
LEGACY = "aesgcm"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class WebPush:
    def generate_key(self) -> VapidKey:
        """A new VAPID key pair (P-256): its private key as PEM, its public key as apps are
        given it (base64url of the uncompressed point)."""
        vapid = Vapid02()
        vapid.generate_keys()
        public = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return VapidKey(vapid.private_pem().decode("ascii"), _b64url(public))

    def check_keys(self, p256dh: bytes, auth: bytes) -> None:
        """`InvalidInput` unless a message can be encrypted for these keys (Mastodon checks
        a subscription so: a test encryption)."""
        if len(auth) != 16:
            raise InvalidInput("subscription[keys][auth] must be 16 bytes (base64).")
        try:
            self._pusher("https://push.invalid/", p256dh, auth).encode(b"test", STANDARD)
        except (ValueError, WebPushException):
            raise InvalidInput(
                "subscription[keys][p256dh] is not a P-256 public key (65 bytes, base64)."
            ) from None

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
    ) -> Sealed:
        """`message` encrypted for the subscription's keys, with the headers of a push
        request (RFC 8030: `TTL`, `Urgency`), signed with the node's VAPID key for the
        endpoint's origin."""
        encoding = STANDARD if standard else LEGACY
        encoded = self._pusher(endpoint, p256dh, auth).encode(message, encoding)
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(time.time()) + TOKEN_SECONDS,
            "sub": subject,
        }
        private = serialization.load_pem_private_key(vapid.private_pem.encode(), password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Encoding": encoding,
            "TTL": str(ttl),
            "Urgency": urgency,
        }
        if standard:
            signer = Vapid02(private, conf={"no-strict": True})
            headers.update(signer.sign(claims))
        else:
            signer = Vapid01(private, conf={"no-strict": True})
            dh = "dh=" + encoded["crypto_key"].decode("ascii")
            headers.update(signer.sign(claims, crypto_key=dh))
            headers["Encryption"] = "salt=" + encoded["salt"].decode("ascii")
        return Sealed(bytes(encoded["body"]), headers)

    @staticmethod
    def _pusher(endpoint: str, p256dh: bytes, auth: bytes) -> WebPusher:
        keys = {"p256dh": _b64url(p256dh), "auth": _b64url(auth)}
        return WebPusher({"endpoint": endpoint, "keys": keys})

"""Another server's QuoteAuthorization, judged (FEP-044f; Mastodon's VerifyQuoteService): a
remote quote is shown accepted only when the authorization it names, fetched from the quoted
author's server, says that this very post may quote that very post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bocage.kernel.urls import same_origin


@dataclass(frozen=True)
class AuthorizationVerdict:
    """`final`: a no that stands (the authorization is gone, or answers for another id), which
    rejects a pending quote and revokes an accepted one; any other no leaves it as it was."""

    accepted: bool
    reason: str
    final: bool = False


def _id(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _types(document: dict[str, Any]) -> list[Any]:
    kind = document.get("type")
    return kind if isinstance(kind, list) else [kind]


def authorization(
    document: dict[str, Any] | None,
    *,
    approval_uri: str,
    quoting_uri: str,
    quoted_uri: str | None,
    quoted_author_uri: str | None,
) -> AuthorizationVerdict:
    """`document`: what `approval_uri` answered (None: its server said it is gone)."""
    if document is None:
        return AuthorizationVerdict(False, f"{approval_uri} is gone", final=True)
    if document.get("id") != approval_uri:
        return AuthorizationVerdict(False, "the authorization answered under another id", True)
    if "QuoteAuthorization" not in _types(document):
        return AuthorizationVerdict(False, "the authorization is no QuoteAuthorization")
    author = _id(document.get("attributedTo"))
    if author is None or not same_origin(author, approval_uri):
        return AuthorizationVerdict(False, "the authorization is not its server's to give")
    if _id(document.get("interactingObject")) != quoting_uri:
        return AuthorizationVerdict(False, "the authorization is for another post")
    if quoted_uri is None or _id(document.get("interactionTarget")) != quoted_uri:
        return AuthorizationVerdict(False, "the authorization is for quoting another post")
    if quoted_author_uri is None or author != quoted_author_uri:
        return AuthorizationVerdict(False, "the authorization is not the quoted author's")
    return AuthorizationVerdict(True, "authorized by the quoted author")

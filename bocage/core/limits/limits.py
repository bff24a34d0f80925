"""What this node accepts, gathered for the faces that must tell it: the instance API (v1
and v2) and the web pages' forms.

Each limit lives once, beside the rule that enforces it (a constant of its core module) or
in the settings; this module only reads them, when asked, so that what a client is told is
what the core enforces (a changed setting or constant shows at once). Nothing in the core
imports it: it sits above the domains it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from bocage.config import Settings
from bocage.core.accounts import accounts, featured_tags
from bocage.core.content import text
from bocage.core.media import media
from bocage.core.polls import polls
from bocage.core.posts import posts
from bocage.core.timelines import pins


@dataclass(frozen=True)
class Limits:
    # A post (posts.validate): its text and content warning count together.
    max_characters: int
    max_spoiler_characters: int
    characters_reserved_per_url: int  # a link counts as this many, whatever its length
    # Its attachments (core/media/media.py: the admin's rules over the settings).
    max_media_attachments: int
    max_media_description: int
    image_types: tuple[str, ...]
    document_types: tuple[str, ...]  # PDF, EPUB, ZIP and audio, under a licence
    image_size_limit: int  # bytes of an upload
    image_matrix_limit: int  # pixels: larger images are refused (never scaled down)
    # Its poll (polls.validate).
    max_poll_options: int
    max_poll_option_characters: int
    min_poll_expiration: int  # seconds
    max_poll_expiration: int
    # A profile (accounts.update_profile) and what it shows first.
    max_display_name: int
    max_note: int
    max_fields: int
    max_field_characters: int
    max_featured_tags: int
    max_pinned_statuses: int


def of(settings: Settings, media_rules: media.MediaRules | None = None) -> Limits:
    """The limits; those an admin may change (`media_rules`, read by the caller from the
    database) default to the settings file's."""
    attachments = media_rules.max_attachments if media_rules else settings.max_media_attachments
    return Limits(
        max_characters=settings.max_post_chars,
        max_spoiler_characters=posts.MAX_SPOILER,
        characters_reserved_per_url=text.URL_WEIGHT,
        max_media_attachments=attachments,
        max_media_description=media.MAX_DESCRIPTION,
        image_types=media.IMAGE_TYPES,
        document_types=media.DOCUMENT_TYPES,
        image_size_limit=settings.max_upload_bytes,
        image_matrix_limit=media.MAX_UPLOAD_PIXELS,
        max_poll_options=settings.max_poll_options,
        max_poll_option_characters=polls.MAX_OPTION_CHARS,
        min_poll_expiration=settings.poll_min_expiry_seconds,
        max_poll_expiration=polls.MAX_EXPIRY_SECONDS,
        max_display_name=accounts.MAX_DISPLAY_NAME,
        max_note=accounts.MAX_NOTE,
        max_fields=accounts.MAX_FIELDS,
        max_field_characters=accounts.MAX_FIELD_CHARS,
        max_featured_tags=featured_tags.MAX_FEATURED,
        max_pinned_statuses=pins.MAX_PINS,
    )

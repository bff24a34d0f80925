"""Which address a page loads another server's file by (web/media.py `shown`): this node's
proxy for a public or unlisted post's (fetched from the origin or a peer when not cached,
so a picture outlives its author's node), the cached copy for a private post's, and the
origin's address only for a private post's file never cached."""

from __future__ import annotations

from bocage.store.models import MediaFile, Post
from bocage.web.media import shown

ORIGIN = "https://pics.example/m/1.jpg"
PUBLIC, PRIVATE = Post(visibility="public"), Post(visibility="private")


def row(*, cached: bool) -> MediaFile:
    return MediaFile(
        id=42, kind="image", remote_url=ORIGIN, remote_preview_url=None, description="a hen",
        storage_key="ab/cd/abcd.jpg" if cached else None,
        preview_key="ab/cd/ef01.webp" if cached else None, width=1600, height=1200,
    )  # fmt: skip


def test_a_public_posts_file_is_loaded_through_the_proxy_cached_or_not() -> None:
    for cached in (True, False):
        media = shown(row(cached=cached), PUBLIC)
        assert (media.url, media.src) == ("/media/remote/42", "/media/remote/42/preview")
        assert media.srcset == "/media/remote/42/preview 640w, /media/remote/42 1600w"


def test_a_private_posts_file_is_its_cached_copy_or_else_its_origin() -> None:
    media = shown(row(cached=True), PRIVATE)
    assert (media.url, media.src) == ("/media/ab/cd/abcd.jpg", "/media/ab/cd/ef01.webp")
    media = shown(row(cached=False), PRIVATE)
    assert (media.url, media.src) == (ORIGIN, ORIGIN)

"""How a post's media are shown on a page: which URL the page loads (the preview, never the
original in a timeline), the `srcset` that lets a wide screen take the original, the square
crop's position from the focal point, and what a shared file says about itself.

Templates only lay these out (macros.html `attachments`); the words and numbers are here, once.
A row may lack its preview or blurhash (older uploads, remote files not cached yet): what is
there is used and the original stands in for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bocage.core.media import remote
from bocage.core.media.media import PREVIEW_LONG_SIDE, VISUAL, licence_words
from bocage.store.models import MediaFile, Post

FOCUS_STEPS = 10  # the photo grid's crop moves in tenths (style.css .fx-N / .fy-N)


@dataclass(frozen=True)
class ShownMedia:
    kind: str
    url: str  # the file served (for a HEIC photo: its browser rendition)
    src: str  # what a page loads first: the preview if there is one
    srcset: str  # "" when there is no preview to choose from
    width: int | None
    height: int | None
    alt: str
    blurhash: str
    original: str  # what its owner downloads (the HEIC itself when there is one)
    file_name: str
    licence: str
    focus_class: str  # the square crop's position (photo grid)

    @property
    def visual(self) -> bool:
        return self.kind in VISUAL


def shown(row: MediaFile, post: Post | None = None) -> ShownMedia:
    """Another server's file on a public or unlisted `post` is loaded through this node's
    proxy (fetched, from its origin or a peer, when not cached: as the API does); else from
    the copy cached here, or its origin's address while there is none."""
    if row.remote_url is None:
        url, preview = _url(row.storage_key), _url(row.preview_key)
    else:
        shared = post is not None and post.visibility in remote.SHARED
        path, preview_path = remote.served_paths(row, shared)
        url = _url(path) or row.remote_url
        preview = _url(preview_path) or row.remote_preview_url or ""
    return ShownMedia(
        kind=row.kind or "image",
        url=url,
        src=preview or url,
        srcset=_srcset(row, preview, url),
        width=row.width,
        height=row.height,
        alt=row.description or "",
        blurhash=row.blurhash or "",
        original=_url(row.original_key) or url,
        file_name=row.file_name or _last_part(url),
        licence=licence_words(row.license),
        focus_class=focus_class(row.focus_x, row.focus_y),
    )


def focus_class(x: float | None, y: float | None) -> str:
    """`fx-N fy-M`: the crop's centre in tenths from the left and from the top. The focal
    point runs from -1 to 1, left to right and bottom to top (Mastodon's)."""
    column = round((1 + (x or 0.0)) / 2 * FOCUS_STEPS)
    row = round((1 - (y or 0.0)) / 2 * FOCUS_STEPS)
    return f"fx-{_step(column)} fy-{_step(row)}"


def _step(value: int) -> int:
    return min(FOCUS_STEPS, max(0, value))


def _srcset(row: MediaFile, preview: str, url: str) -> str:
    if not preview or preview == url or not row.width or not row.height:
        return ""
    long_side = max(row.width, row.height)
    if long_side <= PREVIEW_LONG_SIDE:
        return ""
    preview_width = round(row.width * PREVIEW_LONG_SIDE / long_side)
    return f"{preview} {preview_width}w, {url} {row.width}w"


def _url(key: str | None) -> str:
    return f"/media/{key}" if key else ""


def _last_part(url: str) -> str:
    return url.rsplit("/", 1)[-1] or "file"

"""Link preview cards (Mastodon's PreviewCard): what a page a post links to says of itself,
fetched once per URL and shared by every post that links it (core/cards)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bocage.store.models.base import Base, cascade


class PreviewCard(Base):
    """One page, by the URL it was found at (after redirects; its canonical URL when the page
    names one on the same host), in printable ASCII (core/cards/links.py `ascii_url`).
    `image_key` is this node's copy of its image (a stored file, never the origin's
    address); `image_url` where it came from, kept to fetch it again when a refresh finds it
    missing. `fetched_at` says when the page was last read: a card older than the refresh
    period is read again when a new post links it."""

    __tablename__ = "preview_cards"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    type: Mapped[str] = mapped_column(String(16), default="link")  # link, photo, video, rich
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(Text, default="")
    author_url: Mapped[str] = mapped_column(Text, default="")
    provider_name: Mapped[str] = mapped_column(Text, default="")
    provider_url: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")  # an oEmbed player's iframe, sanitized
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    embed_url: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime | None]
    image_url: Mapped[str | None] = mapped_column(Text)  # where its image came from
    image_key: Mapped[str | None] = mapped_column(String(200))  # this node's copy
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    image_description: Mapped[str] = mapped_column(Text, default="")
    blurhash: Mapped[str | None] = mapped_column(String(100))
    # The account its `fediverse:creator` tag names, when the page may say so (core/cards).
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    fetched_at: Mapped[datetime]


class PostCard(Base):
    """The card a post shows (one at most, as on Mastodon), and the URL as the post wrote it
    (the card's own may be where that URL led). Rows of public posts are what link trends
    count; `posts.card_id` says the same, so that a page without cards does not look here."""

    __tablename__ = "post_cards"
    post_id: Mapped[int] = mapped_column(cascade("posts.id"), primary_key=True)
    card_id: Mapped[int] = mapped_column(cascade("preview_cards.id"))
    url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_post_cards_card_id_post_id", "card_id", "post_id"),
        Index("ix_post_cards_url", "url"),
    )

"""Link preview cards, as Mastodon makes them (its FetchLinkCardService, LinkDetailsExtractor
and FetchOEmbedService): which link of a post gets a card (`links.py`), what a page's
OpenGraph, Twitter card, JSON-LD, `<title>` and oEmbed say a card is (`extract.py`: the
verdicts, as frozen values), and the cards kept per URL, shared by every post linking it,
read again after a while, attached to posts and shown with them (`cards.py`).

Nothing here touches the network or parses a page: the service (services/cards.py) fetches
through the SSRF-safe client, the adapter (adapters/html_meta.py) parses, and the rules here
decide. Imports the kernel, the store and the settings only (and nh3, for an oEmbed player's
markup); posts, inbound and timelines import it.
"""

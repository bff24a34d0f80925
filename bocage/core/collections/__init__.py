"""Collections (Mastodon 4.6, docs.joinmastodon.org/methods/collections): named sets of
accounts someone recommends to follow, and the consent of the accounts put in them.

Imports graph (blocks, domain blocks) and reading; must not import accounts, posts or
anything above.
"""

"""Inbound: what arrives from other servers and peers, applied to this node. Accounts and posts
that live elsewhere as the core knows them (from activities each face has already normalized),
and the verdict every inbound activity ends with.

Near the top of the core: it imports accounts, posts, polls, authorship and reading; only
replication imports it.
"""

"""Inbound: what arrives from other servers and peers, applied to this node. Accounts and posts
that live elsewhere as the core knows them (from activities each face has already normalized),
and the verdict every inbound activity ends with.

The top of the core: it imports accounts, posts, polls, authorship and the kernel; nothing in
the core imports it.
"""

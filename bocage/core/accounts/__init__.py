"""Accounts: sign-up, profiles, approval and suspension, moves (aliases, migrating followers),
the profile's extras (featured tags, endorsements, private notes), password hashing and the
key store.

Imports instance, authorship, content, reading, graph and timelines; must not import auth,
posts, inbound or anything above them.
"""

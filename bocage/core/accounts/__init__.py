"""Accounts: sign-up, profiles, approval and suspension, moves (aliases, migrating followers),
the profile's extras (featured tags, endorsements, private notes), password hashing and the
key store.

Imports instance, authorship, content, graph and timelines; must not import auth, posts or
federation.
"""

"""Moderation: reports about accounts and their posts, and forwarding them to the reported
account's server.

Imports posts and notifications; nothing in the core imports it.
"""

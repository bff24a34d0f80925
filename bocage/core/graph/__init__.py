"""The social graph: follows and follow requests, blocks, mutes, relationships, and lists
(named sets of followed accounts, each with its feed).

Imports timelines (feeds), notifications, authorship and reading; must not import accounts,
posts or anything above.
"""

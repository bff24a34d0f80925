"""The node as a community: its name, rules, registration mode and invites, and which
servers it federates with (the rules domain blocks and allow-list mode make).

Low in the core: notifications, timelines and trends ask it which domains are blocked or
silenced. It imports only the kernel; never a domain above it (graph, posts, …): setting a
block, which ends follows, is `core/moderation/domain_blocks.py`.
"""

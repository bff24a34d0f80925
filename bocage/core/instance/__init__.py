"""The node as a community: its name, rules, registration mode and invites, and which
servers it federates with (domain blocks, allow-list mode).

Low in the core: notifications, timelines and trends ask it which domains are blocked or
silenced. It imports only the kernel; never a domain above it (graph, posts, …): what a
domain block does to follows is passed in by the caller.
"""

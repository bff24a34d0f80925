"""Moderation: the admin's actions and what people report. Domain blocks as the admin sets
them (a suspension hides the domain's accounts and ends their follows), and reports about
accounts and their posts, forwarded to the reported account's server.

Above the graph and posts, which it acts on; nothing in the core imports it. The rules a
domain block makes are read from `core/instance/domains.py`, below every domain.
"""

"""Messaging: direct conversations (per thread, per participant set) and muted threads.

Imports notifications, timelines and reading; must not import posts, which updates it.
"""

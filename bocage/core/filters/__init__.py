"""Filters: what a person asks not to see (Mastodon v2 filters and the v1 compatibility) and
the matching that applies them to posts.

Imports posts, timelines, content and the kernel; nothing imports it but the faces.
"""

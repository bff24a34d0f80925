"""Filters: what a person asks not to see. `filters` reads and changes them (Mastodon's v2
filters), `v1` is the older API's view of them, `matching` compiles them and tries them on a
post, `process_cache` keeps each viewer's compiled filters in this process (with the Session
hook that forgets them on commit), and `pages` filters a page of posts.

Imports posts, timelines, content and the kernel; nothing imports it but the faces.
"""

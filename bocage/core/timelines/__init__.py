"""Timelines: the home and list feeds written on publish (fan-out on write), the queries
behind every page of posts (home, local, profile with its pins, hashtag, thread, bookmarks),
their hydration into `PostView`s, trends, and an account's outbox (its public posts as the
activities its author signed, as other servers read them).

Imports instance, media, polls, reading and authorship (pins are announced, the outbox reads
the author's log); must not import graph, messaging, accounts or posts, which build on it.
"""

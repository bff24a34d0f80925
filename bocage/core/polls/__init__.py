"""Polls: a question a post asks, votes, and closing (Mastodon's rules).

Below timelines (a page of posts shows its polls) and above notifications and authorship
(a vote is signed, a closed poll notifies). Must not import timelines, graph or posts.
"""

"""Content: post text rendered to safe HTML (links, mentions, hashtags), also used for profile
fields and filter keywords.

Pure functions with no database: imports nothing from the core.
"""

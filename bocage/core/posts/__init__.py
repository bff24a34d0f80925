"""Posts: publish, edit, delete, reply, boost, like, bookmark; scheduled posts; thread contexts.

The one place that knows what publishing means: it signs (authorship), fans out (timelines,
graph), updates conversations and notifies. Imports the domains below it; must not import
filters, moderation, search, inbound, replication or limits, which build on it.
"""

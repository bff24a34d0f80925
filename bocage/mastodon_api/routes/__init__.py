"""Mastodon client API routes, one module per area."""

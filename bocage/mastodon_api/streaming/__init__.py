"""Mastodon's streaming API: live timelines and notifications over SSE and WebSocket."""

"""The web face: server-rendered HTML (Jinja2) that works without JavaScript."""

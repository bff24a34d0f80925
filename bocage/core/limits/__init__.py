"""Limits: what this node accepts (characters, attachments, image types and sizes, polls,
profiles, pins), gathered for the faces that tell clients (`limits.of`).

It owns no limit: each stays beside the rule that enforces it (a constant of its domain) or
in the settings, and is read from there when asked. It sits above every domain it reads, and
no domain imports it.
"""

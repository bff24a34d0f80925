"""Bocage: a self-hosted, peer-to-peer social network node that speaks ActivityPub."""

__version__ = "0.1.0"

from bocage.routing import register_convertors  # `{post_id:id}` in route paths

register_convertors()

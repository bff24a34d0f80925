"""Bocage: a self-hosted, peer-to-peer social network node that speaks ActivityPub."""

__version__ = "0.1.0"

"""Federation machinery the faces share: signed HTTP out (`client`, SSRF-safe), fetching
remote actors, keys and posts (`resolver`), signed requests in (`signatures`), JSON and
ActivityStreams responses (`responses`), the normalization of what other servers send
(`normalize`: every server's quirks, cleaned up at the point of entry into the core's plain
types), and inbound activities stored once (`intake`).

Below the faces (the ActivityPub face and peer replication both use it, and the Mastodon API
looks remote accounts up through it), above the core and the store: it imports no face, so no
face has to import another.
"""

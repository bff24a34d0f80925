"""Federation machinery the server-to-server faces share: signed HTTP out (`client`, SSRF-safe),
signed requests in (`signatures`), JSON and ActivityStreams responses (`responses`), and the
normalization of what other servers send (`normalize`: every server's quirks, cleaned up at
the point of entry into the core's plain types).

Below the faces (the ActivityPub face and peer replication both use it, and the Mastodon API
looks remote accounts up through it), above the core and the store: it imports no face, so no
face has to import another.
"""

"""Peer replication: author logs served by any node that holds them, fetched from whichever
peer has them, verified against the author's key. The contract is docs/protocol.md."""

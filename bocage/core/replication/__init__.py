"""Replication rules: the author logs this node holds. Which remote authors' logs it keeps
(`replica.wanted`), what a page of a log serves (withheld when deleted or not public), how
entries from a peer are accepted (each verified against the author's key, `verify`, in seq
order, never leaving a gap), the tombstones a signed Delete leaves, and the evidence of a
forked log, what is served to peers (`serving`), the peer book (`peers`), pubs' consents
(`pubs`) and the storage budgets of replicated content (`budget`).

Peer replication (`bocage/p2p`) is only the transport: clocks, pages and live entries over
HTTP, peers and LAN discovery; it reaches these rules through `services/replication.py`.
Imports accounts (a pub's gateway), inbound (remote accounts, tombstones), authorship and
the kernel; nothing in the core imports it. What an accepted activity becomes is passed in
by the caller (the inbox pipeline, `federation/intake.py`).
"""

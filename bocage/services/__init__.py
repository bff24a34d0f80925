"""The service layer: what the faces ask of the node, one operation at a time.

Contract (every face keeps it; tests/services/test_layering.py checks points 1 and 3):

1. The web and Mastodon API faces, and the ActivityPub face's routes, do every operation,
   reads included, through a service: they import no database session, no `transaction`,
   and not the node. They get the `Services` bundle (`request.app.state.services`), parse
   what they receive, call one service method, and render what it returns. So does the p2p
   face (peer replication): it keeps the transport (HTTP, WebSockets, the LAN, when to sync)
   and reaches the replication service through the node's Protocols in `p2p/host.py`. The
   command line (`cli.py`) calls the services of a node it starts for one command (the peer
   book's commands, the replication service on the database); only the store's own
   operations (migrate, backup, restore) stay outside them.
2. A service method that writes does its remote lookups first, outside any transaction
   (a post's @mentions, a handle followed for the first time, a post URL searched for), then
   runs ONE core unit of work on the database's writer (`Database.write`: off the event
   loop, grouped with others on SQLite), and returns the domain value faces render (a row,
   a relationship, an id). Rules stay in the core (`bocage/core`); a service composes them
   and decides nothing a core function should.
3. A read returns a `Query` (services/unit.py): awaited, it gives domain values (post views,
   rows); `query.present(render)` runs the face's `render(reader, value)` inside the same
   read, for faces whose rendering reads more rows (Mastodon statuses: tags, mentions,
   filters, a cache of built entities; the live streams: who reads a post). The presenter
   reads through that `Reader` (services/reader.py), never through a session, and never
   writes. No face (web, Mastodon API, p2p, jobs, the ActivityPub routes) imports a core
   function that takes a session; only the ActivityPub face's background work does.
4. Services are built once, by the node (the composition root, `bocage/node.py`), with their
   collaborators as small Protocols (services/ports.py): the remote lookups, the media
   adapters (one storage object for the whole node), the login limits, the domain-rules
   cache, the peer book (the replication service, for moderation), the signature checks.
   Services import no face.
5. Grouped like the core's domains (GoToSocial's `internal/processing/*`, Takahē's
   `activities/services/*`): accounts, auth, collections, conversations, filters, graph,
   inbox, instance, lists, media, moderation, notifications, posts, publishing (what other
   servers read here), replication, search, timelines.
6. The job face (`jobs/handlers.py`) names, for each job kind the core queues, a service's job
   unit: a synchronous method `(session, payload)` that the worker runs inside the
   transaction that marks its job done, so that a job's effects and its completion commit
   together (a job that waits on the network is an ActivityPub or p2p coroutine instead, or
   a service's coroutine `(db, payload)` when the service owns that network work: a remote
   file fetched, `RemoteMediaService.fetch_job`, through the `Downloads` port).
"""

from bocage.services.bundle import Services
from bocage.services.unit import Present, Query

__all__ = ["Present", "Query", "Services"]

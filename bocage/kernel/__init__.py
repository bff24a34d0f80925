"""The kernel: the vocabulary every layer above shares, and nothing domain-specific.

The clock, time-sortable ids, domain errors, events (held on the session, published on
commit), the URLs this node mints, the `Context` a unit of work runs in, numbers read at the
edge, and the generic sliding-window rate limiter.

It sits below the store, which uses it too (ids, events, `StorageFull`), and below every core
domain and face. It imports nothing from `bocage.core`, `bocage.store`, `bocage.jobs` or a
face: only the standard library, `bocage.config` and `bocage.crypto`.
"""

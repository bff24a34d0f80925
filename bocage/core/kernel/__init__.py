"""The kernel: what every domain may use, and nothing domain-specific.

The clock, time-sortable ids, domain errors, events (held on the session, published on
commit), the URLs this node mints, the `Context` a unit of work runs in, numbers read at the
edge, and the generic sliding-window rate limiter.

The store sits on top of it too (ids, events, `StorageFull`), so the kernel imports no domain
package of the core and nothing from `bocage.store`, `bocage.jobs` or a face: only the
standard library, `bocage.config` and `bocage.crypto`.
"""

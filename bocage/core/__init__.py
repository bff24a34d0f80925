"""The domain core: every rule of the node lives here; faces only translate to and from it.

One package per domain, each a set of synchronous units of work (`fn(session, …)`) over the
store. Their dependency order, highest first (a package imports only packages below it;
pyproject.toml `[tool.importlinter]` holds it, tests/test_architecture.py checks it):

    replication, limits
    filters, inbound, moderation, search
    posts
    auth
    accounts, messaging
    graph
    timelines
    polls
    notifications
    authorship, content, instance, media
    reading

Below the core are the store and the kernel (bocage/kernel: clock, ids, errors, events, urls,
context); above it, the federation machinery and the faces. The core imports neither.
"""

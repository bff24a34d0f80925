"""Running the durable queue: the worker claims due jobs and runs the handler of each kind.

The queue itself (enqueue in the caller's transaction, claim, finish, retry) is the store's
(`store/queue.py`), so the core enqueues without importing this package; only the
composition root (`node.py`) does, to start the worker with every face's handlers.
"""

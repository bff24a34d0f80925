"""Quotes: posts that quote other posts (Mastodon 4.5, FEP-044f). Who may quote a post (its
quote approval policy, `policy.py`), the states of a quote and how a viewer is shown one,
the verdict on another server's QuoteAuthorization (`verify.py`), and the units of work of
the consent flow (`quotes.py`): a local quote of a local post accepted at once by policy, a
QuoteRequest sent to another server and its answer, a QuoteRequest answered for our posts
with an Accept and a QuoteAuthorization served at its id (or a Reject), a revocation.

Between posts (which attach a quote when publishing) and auth: imports graph, notifications,
authorship and reading; posts and inbound import it.
"""

"""Web Push: people's push subscriptions (one per access token, as Mastodon's), which
notification goes to which subscription (its alerts and its policy), what a push message
says, and the node's VAPID key (stored sealed, like its other private keys).

Imports content (plain text of a post), reading-level models and the store; notifications
imports it (a notification written queues its pushes in the same transaction), so it never
imports notifications, graph, posts or anything above them. The encryption and the VAPID
signature are a library's (adapters/webpush.py), the sending the service's (services/push.py).
"""

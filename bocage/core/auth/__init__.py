"""Authentication: OAuth apps and tokens, password checks with their rate limits (every face's
log-in), and sign-up limits per address.

Imports accounts, instance and the kernel; must not import posts or anything above.
"""

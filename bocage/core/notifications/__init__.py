"""Notifications: which events notify whom (dedup keys, blocks and domain blocks respected),
written by a job so the unit of work that causes them stays small.

Imports instance (domain blocks), reading (visibility, markers), push (a notification's
Web Push jobs, queued with it) and the kernel; never polls,
timelines, graph or posts, which import it.
"""

"""Notifications: which events notify whom (dedup keys, blocks and domain blocks respected),
written by a job so the unit of work that causes them stays small.

Imports instance (domain blocks), reading (visibility, markers) and the kernel; never polls,
timelines, graph or posts, which import it.
"""

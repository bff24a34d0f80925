"""Search: posts found by their words, among those the searcher has a reason to look for.

Imports reading (visibility); nothing in the core imports it.
"""

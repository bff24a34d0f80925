"""Reading posts: who may see what (`visibility`, the one rule every face applies), the rows a
page of posts is built from (`page_rows`), and where someone stopped reading (`markers`).

Imported by every domain that lists posts; it imports only the kernel and the store.
"""

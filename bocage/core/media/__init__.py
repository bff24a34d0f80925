"""Media rules: uploads (which files are accepted, told by their first bytes), their
descriptions, focal points and licences, how many a post takes and whether each needs alt
text (the admin's rules), how they are attached to posts and shown to other servers, and
when an upload never posted is forgotten; which videos and sounds are taken and what
Mastodon's API shows of them (`audiovisual.py`). The byte-level work (Pillow, ffmpeg,
stripping metadata, files on disk) is in `bocage.adapters`, not here.

Imports the kernel, the store and the settings only; timelines and posts import it.
"""

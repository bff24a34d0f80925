"""Adapters: the byte-level work behind the core's rules (Pillow for images, files on disk for
content-addressed storage). No rules live here: what may be uploaded, how big, how many, is
the core's (`bocage.core.media.media`): adapters read those rules, and the core never imports
an adapter."""

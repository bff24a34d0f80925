"""Media rules: uploads, their descriptions and focal points, and how they are attached to
posts. The byte-level work (Pillow, files on disk) is in `bocage.adapters`, not here.

Imports only the kernel; timelines and posts import it.
"""

"""Media adapters: content-addressed storage on disk and image processing with Pillow.

They do the work the core's media rules (core/media.py) describe and decide nothing;
`MediaService` (services/media.py) is their only caller, built once by the node."""

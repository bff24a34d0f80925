"""Media: content-addressed storage on disk and image processing."""

"""The domain core: every rule of the node lives here; faces only translate to and from it."""

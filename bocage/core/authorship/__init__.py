"""What this node's authors sign: the ActivityStreams documents (`activities`), the signed
author logs every local change is appended to (`authoring`), a local actor as other servers
see it (`actor_document`), and portable `ap://did/…` identifiers (FEP-ef61).

Every domain that writes something an author signs imports it; it imports only reading (who
a document's addressing reaches), the kernel and the store, never a domain that uses it.
"""

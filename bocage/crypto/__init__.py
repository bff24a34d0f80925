"""Cryptography for bocage: account keys (Ed25519, RSA) and FEP-8b32 object integrity proofs."""

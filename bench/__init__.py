"""Benchmarks: `make bench` (python -m bench) prints a table of this machine's figures."""

"""Benchmark CLI and regression gates (``ledgerval bench``)."""

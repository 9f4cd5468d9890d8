"""Thread-count policy shared by every entry point (``threads=None`` means every core)."""
from ledgerval.native._pool import cpu_count, resolve_threads, run_chunks

__all__ = ["cpu_count", "resolve_threads", "run_chunks"]

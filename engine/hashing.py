"""``hash_batch``: one call hashes a whole batch of messages."""
from __future__ import annotations

import numpy as np

from ._inputs import as_items
from .native_threads import resolve_threads
from .suites import check_hash


def hash_batch(algo: str, messages, *, threads: int | None = None) -> np.ndarray:
    """Hash each message with ``algo`` (``sha256``, ``sha256d``, ``sm3``, ``keccak256``).

    ``messages`` is a sequence of bytes-like objects or an (N, L) uint8 array.  Returns an (N, 32) uint8
    array; row i is the digest of message i in the algorithm's own byte order (as hashlib prints it).
    """
    check_hash(algo)
    items = as_items("messages", messages)
    resolve_threads(threads)
    from .reference.hashes import digest

    out = np.empty((len(items), 32), dtype=np.uint8)
    for i, m in enumerate(items):
        out[i] = np.frombuffer(digest(algo, bytes(m)), dtype=np.uint8)
    return out

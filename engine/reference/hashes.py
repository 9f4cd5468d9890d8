"""One entry point for the reference hashes: ``digest(algo, data)`` for sha256, sha256d, sm3, keccak256.

SHA-256 comes from hashlib (an independent, trusted implementation); SM3 and Keccak-256 are this
package's pure-Python references.  Every digest is 32 bytes, in the algorithm's own byte order.
"""
from __future__ import annotations

import hashlib

from ..errors import InvalidArgument
from .keccak import keccak256
from .sm3 import sm3

ALGORITHMS = ("sha256", "sha256d", "sm3", "keccak256")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


_FUNCS = {"sha256": _sha256, "sha256d": _sha256d, "sm3": sm3, "keccak256": keccak256}


def digest(algo: str, data: bytes) -> bytes:
    """H_algo(data); an unknown ``algo`` raises InvalidArgument (a ValueError)."""
    try:
        fn = _FUNCS[algo]
    except (KeyError, TypeError):
        raise InvalidArgument(f"unknown hash algorithm {algo!r}; expected one of: {', '.join(ALGORITHMS)}") from None
    return fn(bytes(data))

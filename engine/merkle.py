"""Merkle roots and inclusion proofs over a chosen hash."""
from __future__ import annotations

from ._inputs import as_items
from .errors import InvalidArgument
from .suites import check_hash

RULES = ("rfc6962", "bitcoin", "fisco")


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise InvalidArgument(f"unknown Merkle rule {rule!r}; expected one of: {', '.join(RULES)}")
    return rule


def merkle_root(algo: str, leaves, rule: str = "rfc6962") -> bytes:
    """The Merkle root of ``leaves`` (32-byte digests for ``bitcoin``/``fisco``; any bytes for ``rfc6962``,
    whose leaves are hashed as H(0x00 || leaf))."""
    check_hash(algo)
    check_rule(rule)
    from .reference.merkle import root

    return root(algo, [bytes(x) for x in as_items("leaves", leaves)], rule)

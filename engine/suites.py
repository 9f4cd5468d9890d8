"""The five signature/hash suites of the LVB1 format and the primitive names of the batch API."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidArgument, InvalidType


@dataclass(frozen=True)
class Suite:
    id: int
    name: str
    scheme: str  # a name from SCHEMES
    hash: str  # a name from HASHES
    key_len: int  # bytes of a public key in a transaction


_ALL = (
    Suite(1, "secp256k1-sha256", "ecdsa-secp256k1", "sha256", 33),
    Suite(2, "p256-sha256", "ecdsa-p256", "sha256", 33),
    Suite(3, "ed25519-sha256", "ed25519", "sha256", 32),
    Suite(4, "sm2-sm3", "sm2", "sm3", 33),
    Suite(5, "secp256k1-keccak256", "ecdsa-secp256k1", "keccak256", 33),
)

SUITES: tuple[str, ...] = tuple(s.name for s in _ALL)
SCHEMES: tuple[str, ...] = ("ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2")
HASHES: tuple[str, ...] = ("sha256", "sha256d", "sm3", "keccak256")
BY_NAME = {s.name: s for s in _ALL}
BY_ID = {s.id: s for s in _ALL}


def _lookup(kind: str, value, table):
    if not isinstance(value, str):
        raise InvalidType(f"{kind} must be a str, not {type(value).__name__}")
    try:
        return table[value] if isinstance(table, dict) else table[table.index(value)]
    except (KeyError, ValueError):
        names = ", ".join(table)
        raise InvalidArgument(f"unknown {kind} {value!r}; expected one of: {names}") from None


def get_suite(name: str) -> Suite:
    return _lookup("suite", name, BY_NAME)


def check_scheme(name: str) -> str:
    return _lookup("scheme", name, SCHEMES)


def check_hash(name: str) -> str:
    return _lookup("hash algorithm", name, HASHES)

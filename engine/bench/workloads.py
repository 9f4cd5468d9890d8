"""Deterministic benchmark workloads, shared by ``ledgerval bench`` and the pytest-benchmark files in benches/.

Every builder is seeded and memoised per process, so the CLI's repeated runs, its thread sweep and its peers
all see the same bytes, and a benches/ file that asks for the same workload gets it without paying again.
Generation (key derivation, signing, chain building) is never inside a timed region.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

import numpy as np

# The default sizes: the README's main table is measured with FULL, CI's gate with QUICK.
FULL = {"verify": 1024, "hash": 16384, "hash_size": 64, "merkle": 1 << 20, "blocks": 3, "txs": 2000,
        "ref_verify": 24, "ref_hash": 2048, "ref_merkle": 4096, "peer_verify": 1024,
        "peer_merkle": 1 << 16, "peer_blocks": 1, "min_run_s": 0.05}
QUICK = {"verify": 256, "hash": 4096, "hash_size": 64, "merkle": 1 << 16, "blocks": 1, "txs": 2000,
         "ref_verify": 8, "ref_hash": 256, "ref_merkle": 256, "peer_verify": 256,
         "peer_merkle": 1 << 14, "peer_blocks": 1, "min_run_s": 0.02}


def sizes(quick: bool) -> dict:
    return dict(QUICK if quick else FULL)


@dataclass(frozen=True)
class VerifyWorkload:
    """``n`` valid signatures: ``keys`` (N, 33) SEC1 compressed or (N, 32) Ed25519, ``messages`` the signed
    32-byte values (ECDSA digests; SM2/Ed25519 messages, as LVB1 signs its tx_hash), ``signatures`` (N, 64)."""

    scheme: str
    keys: np.ndarray
    messages: list[bytes]
    signatures: np.ndarray
    expected: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.messages)

    def head(self, m: int) -> "VerifyWorkload":
        m = min(m, self.n)
        return VerifyWorkload(self.scheme, self.keys[:m], self.messages[:m], self.signatures[:m],
                              self.expected[:m])


@functools.lru_cache(maxsize=16)
def verify_workload(scheme: str, n: int, seed: int = 0) -> VerifyWorkload:
    """One distinct signer per item, so per-key caches help only as much as they would across repeats."""
    from ledgerval.signing import private_keys, public_keys, sign_batch

    tag = f"bench/{scheme}/{seed}/".encode()
    privs = private_keys(scheme, [tag + i.to_bytes(4, "little") for i in range(n)])
    keys = public_keys(scheme, privs)
    msgs = [hashlib.sha256(tag + b"msg" + i.to_bytes(4, "little")).digest() for i in range(n)]
    sigs = sign_batch(scheme, privs, msgs)
    return VerifyWorkload(scheme, np.ascontiguousarray(keys), msgs, np.ascontiguousarray(sigs),
                          np.ones(n, dtype=bool))


@functools.lru_cache(maxsize=16)
def hash_workload(n: int, size: int = 64, seed: int = 0) -> np.ndarray:
    """(n, size) uint8 random messages (64 bytes is the Merkle-node and short-transaction case)."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, size), dtype=np.uint8)


@functools.lru_cache(maxsize=8)
def merkle_leaves(n: int, seed: int = 0) -> np.ndarray:
    """(n, 32) uint8 leaf digests."""
    return np.random.default_rng(seed + 1).integers(0, 256, size=(n, 32), dtype=np.uint8)


@functools.lru_cache(maxsize=8)
def chain_workload(suite: str, blocks: int, txs: int, seed: int = 0, validators: int = 4):
    """A valid generated chain (``ledgerval.gen.Chain``) for the end-to-end rows."""
    from ledgerval.gen import generate_chain

    return generate_chain(suite, blocks=blocks, txs=txs, validators=validators, seed=seed)

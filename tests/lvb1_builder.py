"""Build LVB1 blocks field by field for the rule tests (independent of ledgerval.gen)."""
from __future__ import annotations

import hashlib
import struct

import numpy as np

from ledgerval.format import Header, encode_block, encode_tx_body
from ledgerval.reference import merkle
from ledgerval.reference.hashes import digest
from ledgerval.signing import private_keys, public_keys, sign_batch
from ledgerval.suites import get_suite


class Keys:
    def __init__(self, suite: str, n: int, tag: bytes):
        self.suite = get_suite(suite)
        self.priv = private_keys(self.suite.scheme, [tag + b"%d" % i for i in range(n)])
        self.pub = [k.tobytes() for k in public_keys(self.suite.scheme, self.priv)]

    def sign(self, i: int, msg: bytes) -> bytes:
        return sign_batch(self.suite.scheme, self.priv[i:i + 1], [msg])[0].tobytes()


class BlockBuilder:
    """Transactions are (sender, nonce, payload) with optional overrides; the header defaults to a valid one."""

    def __init__(self, suite: str, senders: int = 4, validators: int = 4):
        self.suite = get_suite(suite)
        self.senders = Keys(suite, senders, b"sender")
        self.vals = Keys(suite, validators, b"validator")

    def H(self, data: bytes) -> bytes:
        return digest(self.suite.hash, data)

    def tx(self, sender: int, nonce: int, payload: bytes, *, pubkey: bytes | None = None,
           sig: bytes | None = None) -> tuple[bytes, bytes]:
        """(encoded tx, tx_hash)."""
        pk = self.senders.pub[sender] if pubkey is None else pubkey
        body = encode_tx_body(pk, nonce, payload)
        h = self.H(body)
        if sig is None:
            sig = self.senders.sign(sender, h)
        return body + sig, h

    def block(self, txs: list[tuple[bytes, bytes]], *, height: int = 1, prev_hash: bytes = bytes(32),
              timestamp_ms: int = 1000, chain_id: int = 0, tx_root: bytes | None = None,
              commit: list[tuple[int, bytes]] | None = None, suite_id: int | None = None) -> bytes:
        hashes = [h for _, h in txs]
        root = merkle.root(self.suite.hash, hashes, "rfc6962") if tx_root is None else tx_root
        header = Header(self.suite.id if suite_id is None else suite_id, chain_id, height, timestamp_ms,
                        prev_hash, root, len(txs))
        hh = self.H(header.encode())
        if commit is None:
            commit = [(v, self.vals.sign(v, hh)) for v in range(len(self.vals.pub))]
        return encode_block(header, [t for t, _ in txs], commit)

    def header_hash(self, block: bytes) -> bytes:
        return self.H(block[:96])

    def commit_sig(self, v: int, block_without_commit_header: bytes) -> bytes:
        return self.vals.sign(v, self.H(block_without_commit_header[:96]))


def flip(data: bytes, pos: int, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[pos] ^= 1 << bit
    return bytes(b)


def seed_rng(seed: int) -> np.random.Generator:
    print(f"random seed {seed}")
    return np.random.default_rng(seed)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


U32 = struct.Struct("<I")

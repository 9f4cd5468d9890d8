"""Generated test chains: deterministic from a seed, with optional corrupted transactions.

Keys and signatures come from engine/signing.py (test data only, not side-channel hardened).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidArgument
from .format import SIG_SIZE, Header, encode_block, encode_tx_body
from .hashing import hash_batch
from .merkle import merkle_root
from .signing import private_keys, public_keys, sign_batch
from .suites import get_suite

GENESIS_TIMESTAMP_MS = 1_700_000_000_000
BLOCK_INTERVAL_MS = 2_000


@dataclass
class Chain:
    suite: str
    chain_id: int
    blocks: list[bytes]
    validators: list[bytes]  # validator public keys, in index order
    threshold: int | None
    corrupted: list[tuple[int, int, str]] = field(default_factory=list)  # (block, tx, expected error code)

    @property
    def tx_count(self) -> int:
        return sum(struct.unpack_from("<I", b, 90)[0] for b in self.blocks)


def generate_chain(suite: str, *, blocks: int, txs: int, validators: int = 0, bad_rate: float = 0.0,
                   seed: int = 0, payload_size: int = 64, chain_id: int = 0, senders: int = 64) -> Chain:
    """A valid chain of ``blocks`` blocks with ``txs`` transactions each, signed by ``senders`` keys and
    committed by ``validators`` validators; each transaction is corrupted (a flipped signature bit, so it
    fails with ``bad_signature``) with probability ``bad_rate``."""
    s = get_suite(suite)
    for name, v in (("blocks", blocks), ("txs", txs), ("validators", validators), ("senders", senders)):
        if v < 0 or (name == "senders" and v < 1):
            raise InvalidArgument(f"{name} must be >= {1 if name == 'senders' else 0}, got {v}")
    if not 0.0 <= bad_rate <= 1.0:
        raise InvalidArgument(f"bad_rate must be in [0, 1], got {bad_rate}")
    rng = np.random.default_rng(seed)
    tag = f"{suite}/{seed}/".encode()
    sender_priv = private_keys(s.scheme, [tag + b"sender%d" % i for i in range(senders)])
    sender_pub = public_keys(s.scheme, sender_priv)
    val_priv = private_keys(s.scheme, [tag + b"validator%d" % i for i in range(validators)])
    val_pub = public_keys(s.scheme, val_priv) if validators else np.zeros((0, s.key_len), np.uint8)
    next_nonce = np.zeros(senders, dtype=np.int64)

    out: list[bytes] = []
    corrupted: list[tuple[int, int, str]] = []
    prev_hash = bytes(32)
    for b in range(blocks):
        who = rng.integers(0, senders, size=txs)
        payloads = rng.integers(0, 256, size=(txs, payload_size), dtype=np.uint8)
        bodies = []
        for i in range(txs):
            w = int(who[i])
            bodies.append(encode_tx_body(sender_pub[w].tobytes(), int(next_nonce[w]), payloads[i].tobytes()))
            next_nonce[w] += 1
        tx_hashes = hash_batch(s.hash, bodies) if txs else np.zeros((0, 32), np.uint8)
        sigs = sign_batch(s.scheme, sender_priv[who], list(tx_hashes)) if txs else \
            np.zeros((0, SIG_SIZE), np.uint8)
        sigs = np.array(sigs, copy=True)
        bad = np.flatnonzero(rng.random(txs) < bad_rate)
        for i in bad.tolist():
            sigs[i, int(rng.integers(0, SIG_SIZE))] ^= np.uint8(1 << int(rng.integers(0, 8)))
            corrupted.append((b, i, "bad_signature"))
        header = Header(s.id, chain_id, b, GENESIS_TIMESTAMP_MS + b * BLOCK_INTERVAL_MS, prev_hash,
                        merkle_root(s.hash, tx_hashes, "rfc6962"), txs)
        hbytes = header.encode()
        header_hash = hash_batch(s.hash, [hbytes])[0].tobytes()
        commit = []
        if validators:
            csigs = sign_batch(s.scheme, val_priv, [header_hash] * validators)
            commit = [(v, csigs[v].tobytes()) for v in range(validators)]
        out.append(encode_block(header, [body + sig.tobytes() for body, sig in zip(bodies, sigs)], commit))
        prev_hash = header_hash
    threshold = None
    return Chain(suite, chain_id, out, [k.tobytes() for k in val_pub], threshold, corrupted)

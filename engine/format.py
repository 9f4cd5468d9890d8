"""The LVB1 block format: bounds-checked decoding into flat arrays, and encoding (for gen and tests).

docs/FORMAT.md is the normative description; every integer is little-endian.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .suites import BY_ID, Suite

MAGIC = b"LVB1"
VERSION = 1
HEADER_SIZE = 96
SIG_SIZE = 64
COMMIT_ENTRY_SIZE = 2 + SIG_SIZE
MAX_PAYLOAD = 1 << 20
_HEADER = struct.Struct("<4sBBIQQ32s32sIH")
assert _HEADER.size == HEADER_SIZE


class Malformed(Exception):
    """Internal: the bytes do not decode; ``str()`` says where.  The validator turns it into `malformed`."""


@dataclass(frozen=True)
class Header:
    suite_id: int
    chain_id: int
    height: int
    timestamp_ms: int
    prev_hash: bytes
    tx_root: bytes
    tx_count: int
    version: int = VERSION

    def encode(self) -> bytes:
        return _HEADER.pack(MAGIC, self.suite_id, self.version, self.chain_id, self.height,
                            self.timestamp_ms, self.prev_hash, self.tx_root, self.tx_count, 0)


@dataclass
class DecodedBlock:
    """A decoded block as flat arrays over the original bytes (no Python object per transaction)."""

    header: Header
    suite: Suite
    raw: np.ndarray  # the whole block, uint8
    tx_start: np.ndarray  # (N,) int64: offset of transaction i
    sig_off: np.ndarray  # (N,) int64: offset of its signature; the hashed body is raw[tx_start:sig_off]
    commit_index: np.ndarray  # (M,) int64 validator indices
    commit_sig: np.ndarray  # (M, 64) uint8

    @property
    def header_bytes(self) -> bytes:
        return self.raw[:HEADER_SIZE].tobytes()

    @property
    def tx_count(self) -> int:
        return int(self.tx_start.shape[0])

    def pubkeys(self) -> np.ndarray:
        """(N, K) uint8 public keys."""
        k = self.suite.key_len
        return self.raw[self.tx_start[:, None] + np.arange(k)]

    def nonces(self) -> np.ndarray:
        """(N,) uint64 nonces."""
        k = self.suite.key_len
        b = self.raw[self.tx_start[:, None] + k + np.arange(8)]
        return np.ascontiguousarray(b).view("<u8").reshape(-1)

    def signatures(self) -> np.ndarray:
        """(N, 64) uint8 signatures."""
        return self.raw[self.sig_off[:, None] + np.arange(SIG_SIZE)]


def decode_header(data: bytes | bytearray | memoryview) -> Header:
    """Decode and check the 96-byte header at the start of ``data``; raises Malformed."""
    if len(data) < HEADER_SIZE:
        raise Malformed(f"header needs {HEADER_SIZE} bytes, got {len(data)}")
    magic, suite_id, version, chain_id, height, ts, prev, root, count, reserved = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise Malformed(f"bad magic {magic!r}")
    if version != VERSION:
        raise Malformed(f"unsupported version {version}")
    if reserved != 0:
        raise Malformed(f"reserved field is {reserved}, must be 0")
    if suite_id not in BY_ID:
        raise Malformed(f"unknown suite id {suite_id}")
    return Header(suite_id, chain_id, height, ts, bytes(prev), bytes(root), count, version)


def decode_block(block: bytes | bytearray | memoryview) -> DecodedBlock:
    """Decode a whole block exactly (nothing may follow the commit); raises Malformed."""
    from ledgerval.kernels.lvb1_scan import SCAN_OK, SCAN_PAYLOAD_TOO_LONG, scan_txs

    header = decode_header(block)
    suite = BY_ID[header.suite_id]
    raw = np.frombuffer(block, dtype=np.uint8)
    n = raw.shape[0]
    count = header.tx_count
    # Each transaction takes at least K + 12 + 64 bytes: reject impossible counts before allocating for them.
    if count * (suite.key_len + 12 + SIG_SIZE) > n - HEADER_SIZE:
        raise Malformed(f"tx_count {count} cannot fit in {n} bytes")
    status, index, pos, tx_start, sig_off = scan_txs(raw, HEADER_SIZE, count, suite.key_len)
    if status != SCAN_OK:
        why = "payload_len exceeds 1 MiB" if status == SCAN_PAYLOAD_TOO_LONG else "truncated"
        raise Malformed(f"transaction {index}: {why}")
    if pos + 2 > n:
        raise Malformed("commit count missing")
    m = int(raw[pos]) | (int(raw[pos + 1]) << 8)
    pos += 2
    end = pos + m * COMMIT_ENTRY_SIZE
    if end > n:
        raise Malformed(f"commit of {m} entries is truncated")
    if end != n:
        raise Malformed(f"{n - end} trailing bytes after the commit")
    entries = raw[pos:end].reshape(m, COMMIT_ENTRY_SIZE)
    commit_index = (entries[:, 0].astype(np.int64) | (entries[:, 1].astype(np.int64) << 8))
    commit_sig = np.ascontiguousarray(entries[:, 2:])
    return DecodedBlock(header, suite, raw, tx_start, sig_off, commit_index, commit_sig)


def encode_tx_body(pubkey: bytes, nonce: int, payload: bytes) -> bytes:
    """The hashed part of a transaction: pubkey | nonce u64 | payload_len u32 | payload."""
    return pubkey + struct.pack("<QI", nonce, len(payload)) + payload


def encode_commit(entries: list[tuple[int, bytes]]) -> bytes:
    return struct.pack("<H", len(entries)) + b"".join(struct.pack("<H", i) + s for i, s in entries)


def encode_block(header: Header, txs: list[bytes], commit: list[tuple[int, bytes]]) -> bytes:
    """``txs`` are whole encoded transactions (body | signature)."""
    return header.encode() + b"".join(txs) + encode_commit(commit)

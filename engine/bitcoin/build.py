"""Test-data construction: serialize transactions and blocks, sign inputs.

For tests and benchmarks only.  Signing uses the reference ECDSA with a nonce derived from the key and the
digest, which is fine for test data and nothing else.
"""
from __future__ import annotations

import hashlib
import struct

from ..reference import ecc
from .checkblock import WITNESS_COMMITMENT_HEADER
from .script import push_script
from .sighash import sha256d
from .wire import compact_size

N = ecc.SECP256K1.n


def ser_tx(version: int, vin: list[tuple[bytes, int, bytes, int]], vout: list[tuple[int, bytes]],
           locktime: int = 0, witnesses: list[list[bytes]] | None = None) -> bytes:
    """``vin``: (prev txid internal order, vout, scriptSig, sequence); ``vout``: (value, scriptPubKey).
    With ``witnesses`` (one stack per input) the BIP144 form is written."""
    out = [struct.pack("<i", version)]
    segwit = witnesses is not None and any(witnesses)
    if segwit:
        out.append(b"\x00\x01")
    out.append(compact_size(len(vin)))
    for h, n, ss, seq in vin:
        out += [h, struct.pack("<I", n), compact_size(len(ss)), ss, struct.pack("<I", seq)]
    out.append(compact_size(len(vout)))
    for v, spk in vout:
        out += [struct.pack("<q", v), compact_size(len(spk)), spk]
    if segwit:
        for stack in witnesses:
            out.append(compact_size(len(stack)))
            for item in stack:
                out += [compact_size(len(item)), item]
    out.append(struct.pack("<I", locktime))
    return b"".join(out)


def coinbase(height: int = 1, outputs: list[tuple[int, bytes]] | None = None,
             reserved: bytes | None = None) -> bytes:
    """A coinbase spending the null outpoint whose scriptSig pushes ``height``; ``reserved`` (32 bytes)
    becomes its witness (the BIP141 witness reserved value)."""
    hb = height.to_bytes((height.bit_length() + 8) // 8, "little")
    script = push_script(hb) + b"\x00"  # padding keeps the scriptSig within 2..100 bytes
    outs = outputs if outputs is not None else [(0, b"\x51")]
    wit = [[reserved]] if reserved is not None else None
    return ser_tx(1, [(bytes(32), 0xFFFFFFFF, script, 0xFFFFFFFF)], outs, 0, wit)


def merkle(leaves: list[bytes]) -> bytes:
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def header(merkle_root: bytes, version: int = 1, prev: bytes = bytes(32), time: int = 1_300_000_000,
           bits: int = 0x207FFFFF, nonce: int = 0) -> bytes:
    return struct.pack("<i", version) + prev + merkle_root + struct.pack("<III", time, bits, nonce)


def block(txs: list[bytes], *, version: int = 1, bits: int = 0x207FFFFF, txids: list[bytes] | None = None) -> bytes:
    """Header (Merkle root over the given transactions' txids) + count + transactions."""
    from .wire import parse_transaction

    ids = txids if txids is not None else [sha256d(parse_transaction(t).stripped) for t in txs]
    return header(merkle(ids), version=version, bits=bits) + compact_size(len(txs)) + b"".join(txs)


def witness_commitment_output(wtxids_after_coinbase: list[bytes], reserved: bytes = bytes(32)) -> tuple[int, bytes]:
    root = merkle([bytes(32)] + list(wtxids_after_coinbase))
    return 0, WITNESS_COMMITMENT_HEADER + sha256d(root + reserved)


def sign(secret: int, digest: bytes, hash_type: int = 1, high_s: bool = False) -> bytes:
    """A DER signature over ``digest`` (raw sighash bytes) with the hash-type byte appended; low-S unless
    ``high_s``."""
    k = int.from_bytes(hashlib.sha256(secret.to_bytes(32, "big") + digest).digest(), "big") % (N - 1) + 1
    rs = ecc.ecdsa_sign(ecc.SECP256K1, secret, digest, k)
    r, s = int.from_bytes(rs[:32], "big"), int.from_bytes(rs[32:], "big")
    if (s > N // 2) != high_s:
        s = N - s
    return der(r, s) + bytes((hash_type,))


def der(r: int, s: int) -> bytes:
    def integer(v: int) -> bytes:
        b = v.to_bytes((v.bit_length() + 7) // 8 or 1, "big")
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + bytes((len(b),)) + b

    body = integer(r) + integer(s)
    return b"\x30" + bytes((len(body),)) + body


def pubkey(secret: int, compressed: bool = True) -> bytes:
    return ecc.public_key(ecc.SECP256K1, secret, compressed)

"""Key generation and signing for test data (``ledgerval gen``, benchmarks, tests).

Not hardened against side channels: keys come from a seeded generator and nonces are derived
deterministically from (key, message), which is fine for generated test chains and nothing else.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .signatures import native_backend
from .suites import check_scheme

_ORDER = {
    "ecdsa-secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    "ecdsa-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "sm2": 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
}


def _scalar(seed: bytes, n: int, tag: bytes) -> int:
    ctr = 0
    while True:
        v = int.from_bytes(hashlib.sha256(tag + seed + ctr.to_bytes(4, "little")).digest(), "big") % n
        if v:
            return v
        ctr += 1


def private_keys(scheme: str, seeds: list[bytes]) -> np.ndarray:
    """(N, 32) private keys (big-endian scalars in [1, n-1]; Ed25519: the 32-byte seed)."""
    check_scheme(scheme)
    out = np.zeros((len(seeds), 32), dtype=np.uint8)
    for i, s in enumerate(seeds):
        if scheme == "ed25519":
            out[i] = np.frombuffer(hashlib.sha256(b"lv-ed25519-key" + s).digest(), dtype=np.uint8)
        else:
            d = _scalar(s, _ORDER[scheme], b"lv-key")
            out[i] = np.frombuffer(d.to_bytes(32, "big"), dtype=np.uint8)
    return out


def public_keys(scheme: str, privs: np.ndarray) -> np.ndarray:
    """(N, 33) compressed SEC1 keys, or (N, 32) Ed25519 keys."""
    mod = native_backend(scheme)
    if mod is not None:
        return mod.pubkeys(np.ascontiguousarray(privs, dtype=np.uint8))
    from .reference import ecc, ed25519

    rows = []
    for p in privs:
        p = bytes(p)
        if scheme == "ed25519":
            rows.append(ed25519.public_key(p))
        else:
            rows.append(ecc.public_key(_curve(scheme), int.from_bytes(p, "big")))
    width = 32 if scheme == "ed25519" else 33
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), width)


def _curve(scheme):
    from .reference import ecc

    return {"ecdsa-secp256k1": ecc.SECP256K1, "ecdsa-p256": ecc.P256, "sm2": ecc.SM2}[scheme]


def _nonces(scheme: str, privs: np.ndarray, msgs: list[bytes]) -> np.ndarray:
    n = _ORDER[scheme]
    out = np.zeros((len(msgs), 32), dtype=np.uint8)
    for i, (p, m) in enumerate(zip(privs, msgs)):
        out[i] = np.frombuffer(_scalar(bytes(p) + m, n, b"lv-nonce").to_bytes(32, "big"), dtype=np.uint8)
    return out


def sign_batch(scheme: str, privs: np.ndarray, messages: list[bytes]) -> np.ndarray:
    """(N, 64) signatures: ECDSA over 32-byte digests as they are, SM2 and Ed25519 over messages."""
    check_scheme(scheme)
    privs = np.ascontiguousarray(privs, dtype=np.uint8)
    msgs = [bytes(m) for m in messages]
    mod = native_backend(scheme)
    if mod is not None:
        from ._inputs import flatten

        if scheme == "ed25519":
            buf, offs = flatten(msgs)
            return mod.sign(privs, buf, offs)
        nonces = _nonces(scheme, privs, msgs)
        if scheme == "sm2":
            buf, offs = flatten(msgs)
            return mod.sign(privs, buf, offs, nonces)
        digests = np.frombuffer(b"".join(msgs), dtype=np.uint8).reshape(len(msgs), 32)
        return mod.sign(privs, digests, nonces)
    from .reference import ecc, ed25519

    rows = []
    if scheme == "ed25519":
        rows = [ed25519.sign(bytes(p), m) for p, m in zip(privs, msgs)]
    else:
        nonces = _nonces(scheme, privs, msgs)
        for p, m, k in zip(privs, msgs, nonces):
            d, k = int.from_bytes(bytes(p), "big"), int.from_bytes(bytes(k), "big")
            if scheme == "sm2":
                rows.append(ecc.sm2_sign(d, m, k))
            else:
                rows.append(ecc.ecdsa_sign(_curve(scheme), d, m, k))
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), 64)

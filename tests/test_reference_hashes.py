"""The reference hashes (SM3, Keccak-256, the ``digest`` dispatcher) against published vectors and
independent implementations."""
from __future__ import annotations

import hashlib
import hmac as std_hmac
import json
import random

import pytest

from ledgerval.errors import InvalidArgument
from ledgerval.reference import hashes
from ledgerval.reference.keccak import keccak256
from ledgerval.reference.sm3 import sm3
from conftest import vector_file

SEED = 32905
# Lengths around the 64-byte SM3/SHA-256 block, its 55/56-byte padding edge and Keccak's 136-byte rate.
EDGE_LENGTHS = [0, 1, 3, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 135, 136, 137, 271, 272, 273, 1000]


def _load(*parts) -> dict:
    path = vector_file(*parts)
    return json.loads(path.read_text())


def test_sm3_gmt_examples():
    for v in _load("gm", "sm2_sm3_vectors.json")["sm3"]:
        assert sm3(v["msg_ascii"].encode()).hex() == v["digest"]


def test_sm3_known_values():
    # GM/T 0004-2012 Appendix A, independent of the shared files.
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def _hmac_sm3(key: bytes, msg: bytes) -> bytes:
    """HMAC (RFC 2104) over the reference SM3; block size 64 bytes."""
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\x00")
    inner = sm3(bytes(b ^ 0x36 for b in key) + msg)
    return sm3(bytes(b ^ 0x5C for b in key) + inner)


def test_hmac_sm3_wycheproof():
    data = _load("wycheproof", "hmac_sm3_test.json")
    failures = []
    for group in data["testGroups"]:
        tag_bytes = group["tagSize"] // 8
        for tc in group["tests"]:
            tag = _hmac_sm3(bytes.fromhex(tc["key"]), bytes.fromhex(tc["msg"]))[:tag_bytes]
            ok = std_hmac.compare_digest(tag, bytes.fromhex(tc["tag"]))
            if ok != (tc["result"] == "valid"):
                failures.append(tc["tcId"])
    assert not failures, failures


def test_sm3_vs_hashlib():
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this OpenSSL has no SM3")
    rng = random.Random(SEED)
    print("seed", SEED)
    for n in EDGE_LENGTHS + [rng.randrange(0, 2000) for _ in range(20)]:
        msg = rng.randbytes(n)
        assert sm3(msg) == hashlib.new("sm3", msg).digest(), n


def test_keccak256_known_values():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # Ethereum's Transfer event topic: keccak256("Transfer(address,address,uint256)").
    assert keccak256(b"Transfer(address,address,uint256)").hex() == (
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    )
    # Not SHA3-256: the padding differs.
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()


def test_keccak256_vs_pycryptodome():
    keccak = pytest.importorskip("Crypto.Hash.keccak")
    rng = random.Random(SEED + 1)
    print("seed", SEED + 1)
    for n in EDGE_LENGTHS + [rng.randrange(0, 2000) for _ in range(20)]:
        msg = rng.randbytes(n)
        assert keccak256(msg) == keccak.new(digest_bits=256, data=msg).digest(), n


def test_digest_dispatch():
    rng = random.Random(SEED + 2)
    for n in (0, 1, 64, 200):
        msg = rng.randbytes(n)
        assert hashes.digest("sha256", msg) == hashlib.sha256(msg).digest()
        assert hashes.digest("sha256d", msg) == hashlib.sha256(hashlib.sha256(msg).digest()).digest()
        assert hashes.digest("sm3", msg) == sm3(msg)
        assert hashes.digest("keccak256", msg) == keccak256(msg)
        assert hashes.digest("sm3", bytearray(msg)) == sm3(msg)
    for algo in hashes.ALGORITHMS:
        assert len(hashes.digest(algo, b"x")) == 32
    # Bitcoin's double SHA-256 of the empty string (a well-known value).
    assert hashes.digest("sha256d", b"").hex() == "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
    for bad in ("sha3", "SHA256", "", None):
        with pytest.raises(InvalidArgument):
            hashes.digest(bad, b"")

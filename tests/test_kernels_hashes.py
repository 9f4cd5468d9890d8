"""The Numba hash kernels (kernels/sha256.py, sm3.py, keccak.py) against hashlib, pycryptodome, the GM/T
SM3 examples and Wycheproof's HMAC-SM3 vectors, for every length 0..300 and random long messages."""
from __future__ import annotations

import hashlib
import hmac as _hmac
import json
import random

import numpy as np
import pytest
from Crypto.Hash import keccak as _keccak

from ledgerval.kernels.keccak import keccak256_batch
from ledgerval.kernels.merkle import hash_pairs
from ledgerval.kernels.sha256 import sha256_batch, sha256d_batch
from ledgerval.kernels.sm3 import sm3_batch
from ledgerval.reference.sm3 import sm3 as ref_sm3
from conftest import vector_file

SEED = 20261128


def keccak256(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


def sm3(data: bytes) -> bytes:
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    return ref_sm3(data)


REFS = {
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "sha256d": lambda d: hashlib.sha256(hashlib.sha256(d).digest()).digest(),
    "sm3": sm3,
    "keccak256": keccak256,
}
KERNELS = {"sha256": sha256_batch, "sha256d": sha256d_batch, "sm3": sm3_batch, "keccak256": keccak256_batch}


def spans(msgs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    off = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=off[1:])
    return np.frombuffer(b"".join(msgs), dtype=np.uint8).copy(), off


def messages() -> list[bytes]:
    """Every length 0..300 (block edges 55/56/64, Keccak's 135/136), then random long ones, shuffled so
    neighbours differ in length."""
    rng = random.Random(SEED)
    print("seed", SEED)
    msgs = [rng.randbytes(n) for n in range(301)]
    msgs += [rng.randbytes(rng.randrange(301, 5000)) for _ in range(12)] + [rng.randbytes(70_000)]
    rng.shuffle(msgs)
    return msgs


@pytest.mark.parametrize("algo", list(KERNELS))
def test_every_length_against_independent_implementation(algo):
    msgs = messages()
    buf, off = spans(msgs)
    out = KERNELS[algo](buf, off)
    assert out.shape == (len(msgs), 32) and out.dtype == np.uint8
    for i, m in enumerate(msgs):
        assert out[i].tobytes() == REFS[algo](m), (algo, len(m))


def test_known_answers():
    buf, off = spans([b"", b"abc"])
    k = keccak256_batch(buf, off)
    assert k[0].tobytes().hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert sha256_batch(buf, off)[1].tobytes().hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sm3_batch(buf, off)[1].tobytes().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_empty_batch():
    buf, off = np.zeros(0, np.uint8), np.zeros(1, np.int64)
    for fn in KERNELS.values():
        assert fn(buf, off).shape == (0, 32)


def test_gmt_sm3_examples():
    path = vector_file("gm", "sm2_sm3_vectors.json")
    cases = json.loads(path.read_text())["sm3"]
    buf, off = spans([c["msg_ascii"].encode() for c in cases])
    out = sm3_batch(buf, off)
    for i, c in enumerate(cases):
        assert out[i].tobytes().hex() == c["digest"]


def hmac_batch(hash_batch, keys: list[bytes], msgs: list[bytes]) -> list[bytes]:
    """HMAC (RFC 2104, 64-byte blocks) with the two hash passes done as two batch calls."""
    ks = []
    for k in keys:
        if len(k) > 64:
            k = hash_batch(*spans([k]))[0].tobytes()
        ks.append(k.ljust(64, b"\0"))
    inner = hash_batch(*spans([bytes(b ^ 0x36 for b in k) + m for k, m in zip(ks, msgs)]))
    return [r.tobytes() for r in hash_batch(*spans([bytes(b ^ 0x5C for b in k) + inner[i].tobytes()
                                                   for i, k in enumerate(ks)]))]


def test_wycheproof_hmac_sm3():
    path = vector_file("wycheproof", "hmac_sm3_test.json")
    groups = json.loads(path.read_text())["testGroups"]
    tests = [(g["tagSize"] // 8, t) for g in groups for t in g["tests"]]
    tags = hmac_batch(sm3_batch, [bytes.fromhex(t["key"]) for _, t in tests],
                      [bytes.fromhex(t["msg"]) for _, t in tests])
    for (size, t), tag in zip(tests, tags):
        ok = _hmac.compare_digest(tag[:size], bytes.fromhex(t["tag"]))
        assert ok == (t["result"] == "valid"), t["tcId"]


@pytest.mark.parametrize("algo", list(KERNELS))
@pytest.mark.parametrize("prefix", [-1, 1])
@pytest.mark.parametrize("n", [0, 1, 16, 17, 300])
def test_pairs_kernel(algo, prefix, n):
    """64-byte messages: the SHA-256(d) structure-of-arrays kernel (16 lanes, short last group) and the
    per-message kernel with RFC 6962's prefix."""
    rng = np.random.default_rng(SEED + n)
    data = rng.integers(0, 256, size=(n, 64), dtype=np.uint8)
    out = hash_pairs(algo, data, prefix)
    pre = b"" if prefix < 0 else bytes([prefix])
    for i in range(data.shape[0]):
        assert out[i].tobytes() == REFS[algo](pre + data[i].tobytes())


def test_wrapper_rejects_bad_spans():
    buf = np.zeros(10, np.uint8)
    with pytest.raises(ValueError):
        sha256_batch(buf, np.array([0, 11], np.int64))
    with pytest.raises(ValueError):
        sha256_batch(buf, np.array([5, 3], np.int64))
    with pytest.raises(TypeError):
        sha256_batch(buf, np.array([0, 3], np.int32))

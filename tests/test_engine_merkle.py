"""Merkle roots and proofs against the slow reference (ledgerval.reference.merkle): n = 0..70 and random
larger n, every rule and hash, both fast backends; proofs verify and fail when any byte changes."""
from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

import ledgerval
from ledgerval import InvalidArgument
from ledgerval.merkle import merkle_proof, merkle_root, merkle_root_mutated, verify_merkle_proof
from ledgerval.reference import merkle as ref
from ledgerval.reference.hashes import digest as slow_digest

ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
RULES = ("rfc6962", "bitcoin", "fisco")
SEED = 6962


def _keccak(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=data).digest()


FAST = {"sha256": lambda d: hashlib.sha256(d).digest(),
        "sha256d": lambda d: hashlib.sha256(hashlib.sha256(d).digest()).digest(),
        "keccak256": _keccak}
if "sm3" in hashlib.algorithms_available:
    FAST["sm3"] = lambda d: hashlib.new("sm3", d).digest()


@pytest.fixture(autouse=True)
def fast_reference(monkeypatch):
    """The reference tree code over independent C hashes (OpenSSL, pycryptodome) instead of the pure-Python
    SM3/Keccak, which would make these tests take minutes; test_reference_digest_swap checks the swap."""
    monkeypatch.setattr(ref, "digest", lambda algo, data: FAST[algo](bytes(data)) if algo in FAST
                        else slow_digest(algo, data))


def test_reference_digest_swap():
    for algo in ("sha256", "sha256d", "sm3", "keccak256"):
        for m in (b"", b"abc", bytes(range(200))):
            assert ref.digest(algo, m) == slow_digest(algo, m)


def leaves_for(rng, rule, n):
    if rule == "rfc6962":
        return [rng.randbytes(rng.randrange(0, 90)) for _ in range(n)]
    return [rng.randbytes(32) for _ in range(n)]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("algo", ALGOS)
def test_roots_small_n(algo, rule):
    rng = random.Random(SEED)
    print("seed", SEED)
    for n in range(71):
        leaves = leaves_for(rng, rule, n)
        want = ref.root(algo, leaves, rule)
        for backend in ("native", "numba"):
            assert merkle_root(algo, leaves, rule, backend=backend) == want, (n, backend)


@pytest.mark.parametrize("rule", RULES)
def test_roots_random_larger_n_and_arrays(rule):
    rng = random.Random(SEED + 1)
    for algo in ALGOS:
        n = rng.randrange(71, 3000)
        leaves = leaves_for(rng, rule, n)
        want = ref.root(algo, leaves, rule)
        assert merkle_root(algo, leaves, rule, threads=2) == want
        assert merkle_root(algo, leaves, rule, threads=1, backend="numba") == want
        if rule != "rfc6962":
            arr = np.frombuffer(b"".join(leaves), dtype=np.uint8).reshape(n, 32)
            assert merkle_root(algo, arr, rule) == want
    arr = np.random.default_rng(3).integers(0, 256, size=(77, 20), dtype=np.uint8)
    assert merkle_root("sha256", arr, "rfc6962") == ref.root("sha256", [r.tobytes() for r in arr], "rfc6962")


def test_mutated_flag():
    rng = random.Random(SEED + 2)
    for n in list(range(0, 20)) + [1000, 1001]:
        leaves = [rng.randbytes(32) for _ in range(n)]
        for dup in (False, True):
            if dup:
                if n < 2:
                    continue
                leaves = leaves + leaves[-2:] if n % 2 == 0 else leaves + leaves[-1:]
            for algo in ("sha256d", "sm3"):
                want = ref.bitcoin_root(algo, leaves)
                assert merkle_root_mutated(algo, leaves) == want
                assert merkle_root_mutated(algo, leaves, backend="numba") == want
                assert merkle_root(algo, leaves, "bitcoin") == want[0]
    # CVE-2012-2459: [a, b, c] and [a, b, c, c] share a root; only the second is mutated
    a, b, c = (bytes([i]) * 32 for i in range(3))
    r3, m3 = merkle_root_mutated("sha256d", [a, b, c])
    r4, m4 = merkle_root_mutated("sha256d", [a, b, c, c])
    assert r3 == r4 and not m3 and m4


def flip_each_byte(blob: bytes):
    for i in range(len(blob)):
        yield blob[:i] + bytes([blob[i] ^ 1]) + blob[i + 1:]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("algo", ["sha256", "sm3", "keccak256"])
def test_proofs(algo, rule):
    rng = random.Random(SEED + 3)
    for n in list(range(1, 18)) + [rng.randrange(18, 200)]:
        leaves = leaves_for(rng, rule, n)
        root = merkle_root(algo, leaves, rule)
        for index in range(n) if n < 18 else rng.sample(range(n), 3):
            proof = merkle_proof(algo, leaves, index, rule)
            assert proof == ref.proof(algo, leaves, index, rule)
            assert verify_merkle_proof(algo, leaves[index], index, n, proof, root, rule)
            assert ref.verify_proof(algo, leaves[index], index, n, proof, root, rule)
            if n > 1:
                assert not verify_merkle_proof(algo, leaves[index], index ^ 1 if index ^ 1 < n else index - 1,
                                               n, proof, root, rule)
        if n in (5, 13):
            index = n - 1
            proof = merkle_proof(algo, leaves, index, rule)
            for bad in flip_each_byte(root):
                assert not verify_merkle_proof(algo, leaves[index], index, n, proof, bad, rule)
            for bad in flip_each_byte(leaves[index]):
                assert not verify_merkle_proof(algo, bad, index, n, proof, root, rule)
            for k in range(len(proof)):
                for bad in flip_each_byte(proof[k]):
                    forged = proof[:k] + [bad] + proof[k + 1:]
                    assert not verify_merkle_proof(algo, leaves[index], index, n, forged, root, rule)
            assert not verify_merkle_proof(algo, leaves[index], index, n, proof[:-1], root, rule)
            assert not verify_merkle_proof(algo, leaves[index], index, n, proof + [root], root, rule)


def test_verify_never_raises_on_bad_data():
    leaves = [bytes([i]) * 32 for i in range(6)]
    root = merkle_root("sha256", leaves, "bitcoin")
    proof = merkle_proof("sha256", leaves, 2, "bitcoin")
    for args in [("x", 2, 6, proof, root), (leaves[2], -1, 6, proof, root), (leaves[2], 6, 6, proof, root),
                 (leaves[2], 2, 6, proof, root[:31]), (leaves[2], 2, 6, [b"short"], root),
                 (leaves[2], 2, 6, None, root), (leaves[2], 2, 6, [5], root), (leaves[2], "2", 6, proof, root),
                 (leaves[2], 2, True, proof, root), (leaves[2][:31], 2, 6, proof, root), (None, 2, 6, proof, None)]:
        assert verify_merkle_proof("sha256", *args, rule="bitcoin") is False
    assert verify_merkle_proof("sha256", leaves[2], 2, 6, proof, root, "bitcoin") is True
    with pytest.raises(InvalidArgument):
        verify_merkle_proof("sha256", leaves[2], 2, 6, proof, root, "nope")


def test_misuse_and_edges():
    with pytest.raises(InvalidArgument):
        merkle_root("sha256", [b"short"], "bitcoin")
    with pytest.raises(InvalidArgument):
        merkle_root("sha256", [b""], "merkle")
    with pytest.raises(InvalidArgument):
        merkle_proof("sha256", [b"a"], 1)
    with pytest.raises(InvalidArgument):
        merkle_proof("sha256", [], 0)
    assert merkle_root("sha256d", [], "bitcoin") == bytes(32)
    assert merkle_root("sm3", [], "fisco") == ref.root("sm3", [], "fisco")
    assert merkle_root("sha256", [], "rfc6962") == ref.root("sha256", [], "rfc6962")
    assert merkle_root("sha256", [], "rfc6962", backend="reference") == ref.root("sha256", [], "rfc6962")
    assert ledgerval.merkle_proof is merkle_proof and ledgerval.verify_merkle_proof is verify_merkle_proof


@pytest.mark.parametrize("n,twin", [(4, 2), (20, 6), (5000, 4096)])
def test_mutated_flag_on_every_level_path(n, twin):
    # a tree's levels go through hashlib (<= 4 pairs), one direct native call, or the thread pool (large
    # levels at threads > 1): each must report a pair of equal nodes
    rng = random.Random(2459)
    leaves = [rng.randbytes(32) for _ in range(n)]
    leaves[twin + 1] = leaves[twin]
    want = ref.bitcoin_root("sha256d", leaves)
    for threads in (1, 2):
        assert merkle_root_mutated("sha256d", leaves, threads=threads) == want
        assert merkle_root("sha256d", leaves, "bitcoin", threads=threads) == want[0]

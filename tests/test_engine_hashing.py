"""``ledgerval.hash_batch`` and ``hash_spans``: every backend agrees with the reference, a batch equals
item-by-item results (hypothesis), misuse raises the package errors."""
from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ledgerval
from ledgerval import InvalidArgument, InvalidType, hash_batch, native
from ledgerval.hashing import BACKENDS, hash_spans, paths
from ledgerval.reference.hashes import digest

ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
SEED = 99


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("backend", ["auto", "native", "numba"])
def test_backends_match_reference(algo, backend):
    rng = random.Random(SEED)
    print("seed", SEED)
    msgs = [rng.randbytes(rng.choice([0, 1, 31, 32, 55, 56, 63, 64, 65, 135, 136, 137, 500])) for _ in range(120)]
    out = hash_batch(algo, msgs, backend=backend, threads=2)
    assert out.shape == (120, 32) and out.dtype == np.uint8
    assert [o.tobytes() for o in out] == [digest(algo, m) for m in msgs]


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("width", [0, 32, 64, 65, 136])
def test_fixed_width_arrays(algo, width):
    arr = np.random.default_rng(width).integers(0, 256, size=(3000, width), dtype=np.uint8)
    want = hash_batch(algo, arr[:50], backend="reference")
    for backend in ("native", "numba"):
        for threads in (1, 2):
            got = hash_batch(algo, arr, backend=backend, threads=threads)
            assert np.array_equal(got[:50], want)
            assert np.array_equal(got, hash_batch(algo, [r.tobytes() for r in arr], backend=backend))


@settings(max_examples=40, deadline=None)
@given(algo=st.sampled_from(ALGOS), msgs=st.lists(st.binary(max_size=300), max_size=40))
def test_batch_equals_items(algo, msgs):
    out = hash_batch(algo, msgs)
    for i, m in enumerate(msgs):
        assert out[i].tobytes() == hash_batch(algo, [m])[0].tobytes() == digest(algo, m)


def test_hash_spans_matches_batch():
    msgs = [bytes([i]) * i for i in range(100)]
    buf = np.frombuffer(b"".join(msgs), dtype=np.uint8)
    off = np.zeros(101, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=off[1:])
    for backend in ("native", "numba", "reference"):
        assert np.array_equal(hash_spans("sm3", buf, off, backend=backend), hash_batch("sm3", msgs))


def test_misuse():
    with pytest.raises(InvalidArgument):
        hash_batch("md5", [b""])
    with pytest.raises(InvalidType):
        hash_batch(5, [b""])
    with pytest.raises(InvalidType):
        hash_batch("sha256", b"abc")
    with pytest.raises(InvalidType):
        hash_batch("sha256", ["abc"])
    with pytest.raises(InvalidType):
        hash_batch("sha256", np.zeros((2, 3), dtype=np.int32))
    with pytest.raises(InvalidArgument):
        hash_batch("sha256", [b""], backend="gpu")
    with pytest.raises(InvalidArgument):
        hash_batch("sha256", [b""], threads=0)
    buf = np.zeros(10, dtype=np.uint8)
    with pytest.raises(InvalidArgument):
        hash_spans("sha256", buf, np.array([0, 11], dtype=np.int64))
    with pytest.raises(InvalidArgument):
        hash_spans("sha256", buf, np.array([4, 2], dtype=np.int64))
    with pytest.raises(InvalidType):
        hash_spans("sha256", buf, np.array([0, 2], dtype=np.int32))
    with pytest.raises(InvalidType):
        hash_spans("sha256", buf.reshape(2, 5), np.array([0, 2], dtype=np.int64))


def test_empty_and_exports():
    assert hash_batch("sha256", []).shape == (0, 32)
    assert set(BACKENDS) == {"auto", "native", "numba", "reference"}
    assert set(paths()) == set(ALGOS)
    assert ledgerval.hash_batch is hash_batch


@pytest.fixture(params=native.tiers_available() if native.AVAILABLE else [])
def tier(request):
    with native.tier_mask(request.param):
        yield request.param


@functools.cache
def _thread_case(algo: str):
    """(msgs, rows, leaves, mutated leaves) and their reference answers, once per algorithm (the pure-Python
    SM3 and Keccak trees take seconds)."""
    from ledgerval.reference.merkle import root as ref_root

    rng = random.Random(SEED + 7)
    msgs = [rng.randbytes(rng.randrange(0, 200)) for _ in range(3000)]
    rows = np.frombuffer(rng.randbytes(64 * 4500), dtype=np.uint8).reshape(4500, 64)
    leaves = [rng.randbytes(32) for _ in range(4101)]  # 2050 pairs: enough to wake a helper
    mutated = leaves[:4095] + [leaves[4094]]  # the bottom level's last pair is two equal nodes
    want = ([digest(algo, m) for m in msgs], [digest(algo, bytes(r)) for r in rows],
            {rule: ref_root(algo, leaves, rule) for rule in ("rfc6962", "bitcoin", "fisco")})
    return (msgs, rows, leaves, mutated), want


@pytest.mark.parametrize("algo", ALGOS)
def test_native_results_independent_of_threads(tier, algo):
    """hash_batch (spans and (N, 64) rows), and Merkle levels (bare, 0x01-prefixed, and with Bitcoin's
    mutated check) share work between threads through the native claim counter: 1..4 threads give the
    reference's answers at every tier, on batches big enough to wake every helper."""
    from ledgerval.merkle import merkle_root, merkle_root_mutated

    print("seed", SEED + 7)
    (msgs, rows, leaves, mutated), (want, want_rows, roots) = _thread_case(algo)
    for threads in (1, 2, 3, 4):
        assert [o.tobytes() for o in hash_batch(algo, msgs, threads=threads, backend="native")] == want
        assert [o.tobytes() for o in hash_batch(algo, rows, threads=threads, backend="native")] == want_rows
        for rule, root in roots.items():
            assert merkle_root(algo, leaves, rule, threads=threads, backend="native") == root, (rule, threads)
        assert merkle_root_mutated(algo, mutated, threads=threads, backend="native")[1], threads
        assert not merkle_root_mutated(algo, leaves, threads=threads, backend="native")[1], threads

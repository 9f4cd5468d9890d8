"""The C hash kernels (native/src/hash*.c) on every path this CPU has, each forced in turn through
``cpu_mask``, against hashlib / pycryptodome / the reference, for lengths 0..300, random long messages, the
64-byte Merkle path, and misuse (bad offsets, bad buffers)."""
from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from Crypto.Hash import keccak as _keccak

import ledgerval
from ledgerval import native
from ledgerval.native import hashes as nh
from ledgerval.reference.sm3 import sm3 as ref_sm3

pytestmark = pytest.mark.skipif(not (native.AVAILABLE and nh.available()), reason="native hash kernels not built")
SEED = 4711

REFS = {
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "sha256d": lambda d: hashlib.sha256(hashlib.sha256(d).digest()).digest(),
    "sm3": lambda d: hashlib.new("sm3", d).digest() if "sm3" in hashlib.algorithms_available else ref_sm3(d),
    "keccak256": lambda d: _keccak.new(digest_bits=256, data=d).digest(),
}
# CPU features each forced path keeps; masking the others off makes ``auto`` resolve to that path.
KEEP = {
    "portable": 0,
    "shani": native.lib.LV_CPU_SHA | native.lib.LV_CPU_SSE41 if native.AVAILABLE else 0,
    "avx512": native.lib.LV_CPU_AVX512F | native.lib.LV_CPU_AVX512BW if native.AVAILABLE else 0,
    "avx2": native.lib.LV_CPU_AVX2 if native.AVAILABLE else 0,
}
CASES = [(a, p) for a in nh.ALGOS for p in nh.PATHS if not (p == "shani" and a in ("sm3", "keccak256"))]


def spans(msgs):
    off = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=off[1:])
    return np.frombuffer(b"".join(msgs), dtype=np.uint8).copy(), off


def run_path(path, fn):
    if not nh.path_ok("sha256", path):
        pytest.skip(f"this CPU has no {path} path")
    with native.cpu_mask(KEEP[path]):
        # forced both ways: by name, and as what auto picks under the mask
        assert nh.best_path("sha256") == path or path == "avx512"
        return fn(path), fn("auto")


@pytest.fixture(scope="module")
def msgs():
    rng = random.Random(SEED)
    print("seed", SEED)
    m = [rng.randbytes(n) for n in range(301)] + [rng.randbytes(rng.randrange(301, 3000)) for _ in range(20)]
    m.append(rng.randbytes(100_000))
    rng.shuffle(m)
    return m


@pytest.mark.parametrize("algo,path", CASES)
def test_spans_every_path(algo, path, msgs):
    buf, off = spans(msgs)

    def go(p):
        out = np.zeros((len(msgs), 32), dtype=np.uint8)
        nh.hash_spans(algo, buf, off, out, p)
        return out

    forced, auto = run_path(path, go)
    assert np.array_equal(forced, auto)
    for i, m in enumerate(msgs):
        assert forced[i].tobytes() == REFS[algo](m), (algo, path, len(m))


@pytest.mark.parametrize("algo,path", CASES)
@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 33, 100])
def test_64_byte_path(algo, path, n):
    rng = np.random.default_rng(SEED + n)
    data = rng.integers(0, 256, size=(n, 64), dtype=np.uint8)

    def go(p):
        out = np.zeros((n, 32), dtype=np.uint8)
        nh.hash_64(algo, data, out, p)
        return out

    forced, auto = run_path(path, go)
    assert np.array_equal(forced, auto)
    for i in range(n):
        assert forced[i].tobytes() == REFS[algo](data[i].tobytes())


def test_same_lengths_lockstep_and_chunk_slices():
    # 16 lanes in lockstep, and a chunk given as a slice of the offsets (absolute positions in buf)
    msgs = [bytes([i]) * 200 for i in range(50)]
    buf, off = spans(msgs)
    out = np.zeros((20, 32), dtype=np.uint8)
    nh.hash_spans("sm3", buf, off[10:31], out)
    assert [o.tobytes() for o in out] == [REFS["sm3"](m) for m in msgs[10:30]]


def test_bad_offsets_are_refused_before_reading():
    buf = np.zeros(100, dtype=np.uint8)
    out = np.zeros((1, 32), dtype=np.uint8)
    for bad in ([0, 101], [-1, 10], [50, 40]):
        with pytest.raises(ValueError):
            nh.hash_spans("sha256", buf, np.array(bad, dtype=np.int64), out)
    with pytest.raises(TypeError):
        nh.hash_spans("sha256", buf, np.array([0, 1], dtype=np.int32), out)
    with pytest.raises(TypeError):
        nh.hash_spans("sha256", buf[::2], np.array([0, 1], dtype=np.int64), out)
    with pytest.raises(ValueError):
        nh.hash_spans("sha256", buf, np.array([0, 1, 2], dtype=np.int64), out)
    with pytest.raises(ValueError):
        nh.hash_spans("md5", buf, np.array([0, 1], dtype=np.int64), out)


def test_unavailable_path_is_an_error():
    buf, off = spans([b"abc"])
    out = np.zeros((1, 32), dtype=np.uint8)
    with pytest.raises(ValueError):
        nh.hash_spans("sm3", buf, off, out, "shani")
    with native.cpu_mask(0):
        with pytest.raises(ValueError):
            nh.hash_spans("sha256", buf, off, out, "avx512")
        assert nh.best_path("keccak256") == "portable"


def test_empty_batches():
    """An empty batch writes nothing (the rows around its empty output stay as they were) and still has its
    arguments checked."""
    big = np.full((3, 32), 0xA5, dtype=np.uint8)
    for algo in ("sha256", "sha256d", "sm3", "keccak256"):
        assert nh.hash_spans(algo, np.zeros(0, np.uint8), np.zeros(1, np.int64), big[1:1]) is None
        assert nh.hash_64(algo, np.zeros((0, 64), np.uint8), big[1:1]) is None
    assert (big == 0xA5).all()
    with pytest.raises(ValueError):   # the one offset must lie within the (empty) buffer
        nh.hash_spans("sha256", np.zeros(0, np.uint8), np.array([1], np.int64), big[1:1])
    with pytest.raises(ValueError):
        nh.hash_spans("md5", np.zeros(0, np.uint8), np.zeros(1, np.int64), big[1:1])
    assert ledgerval.hash_batch("sm3", []).shape == (0, 32)


def test_pairs_equal():
    data = np.random.default_rng(1).integers(0, 256, size=(40, 64), dtype=np.uint8)
    assert not nh.pairs_equal(data)
    assert not nh.pairs_equal(data[:0])
    data[39, 32:] = data[39, :32]
    assert nh.pairs_equal(data) and not nh.pairs_equal(data[:39])
    data[5, 63] ^= 1
    data[5, 32:] = data[5, :32]
    assert nh.pairs_equal(data[:6])


# --- RIPEMD-160 and HASH160 (Bitcoin's key hash) ----------------------------------------------------------

# Dobbertin, Bosselaers, Preneel, "RIPEMD-160: A Strengthened Version of RIPEMD", test vectors
RIPEMD160_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b"),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    (b"a" * 1_000_000, "52783243c1697bdbe16d37f97f68f08325dc1528"),
]


def _rmd(data: bytes) -> bytes:
    from Crypto.Hash import RIPEMD160

    return RIPEMD160.new(data).digest()


def test_ripemd160_published_vectors():
    buf, off = spans([m for m, _ in RIPEMD160_VECTORS])
    out = np.zeros((len(RIPEMD160_VECTORS), 20), dtype=np.uint8)
    nh.ripemd160_spans(buf, off, out)
    assert [o.tobytes().hex() for o in out] == [h for _, h in RIPEMD160_VECTORS]


def test_ripemd160_and_hash160_against_pycryptodome(msgs):
    """Every length 0..300 (each padding boundary) and long ones; HASH160 on every SHA-256 path."""
    buf, off = spans(msgs)
    out = np.zeros((len(msgs), 20), dtype=np.uint8)
    nh.ripemd160_spans(buf, off, out)
    for m, o in zip(msgs, out):
        assert o.tobytes() == _rmd(m), len(m)
    for path in ("auto", *[p for p in nh.PATHS if nh.path_ok("sha256", p)]):
        h = np.zeros((len(msgs), 20), dtype=np.uint8)
        nh.hash160_spans(buf, off, h, path)
        for m, o in zip(msgs, h):
            assert o.tobytes() == _rmd(hashlib.sha256(m).digest()), (path, len(m))


def test_hash160_groups_and_misuse():
    """More spans than one internal group (64), empty spans, and bad offsets or shapes refused."""
    rng = random.Random(SEED + 160)
    m = [rng.randbytes(rng.choice([0, 33, 65, 100])) for _ in range(200)]
    buf, off = spans(m)
    out = np.zeros((200, 20), dtype=np.uint8)
    nh.hash160_spans(buf, off, out)
    assert all(o.tobytes() == _rmd(hashlib.sha256(x).digest()) for x, o in zip(m, out))
    with pytest.raises(ValueError):
        nh.hash160_spans(buf, off, np.zeros((200, 32), dtype=np.uint8))
    bad = off.copy()
    bad[5] = bad[4] - 1
    with pytest.raises(ValueError):
        nh.hash160_spans(buf, bad, out)
    assert off[-1] > 0
    with pytest.raises(ValueError):  # the last span runs one byte past the buffer
        nh.ripemd160_spans(buf[:-1], off, out)
    if not nh.path_ok("sha256", "avx512"):  # a path this CPU lacks is misuse, even for no spans at all
        with pytest.raises(ValueError):
            nh.hash160_spans(buf, off[:1], np.zeros((0, 20), dtype=np.uint8), "avx512")
    with native.cpu_mask(0):
        with pytest.raises(ValueError):
            nh.hash160_spans(buf, off[:1], np.zeros((0, 20), dtype=np.uint8), "shani")

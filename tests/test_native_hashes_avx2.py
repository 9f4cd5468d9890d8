"""The AVX2 hash kernels (native/src/hash_*_avx2_impl.h) and the path dispatch, at every CPU tier this machine
has (``tiers_available()`` + ``tier_mask``): each tier's ``auto`` path against the portable path and
independent implementations (hashlib, pycryptodome Keccak, the GM/T SM3 examples), for lengths 0..300, lane
counts that are not multiples of the lane width (8 or 16 for SHA-256/SM3, 4 for Keccak), buffers offset by
1..7 bytes, and both entries (spans through the lane scheduler, and the 64-byte Merkle entry)."""
from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from Crypto.Hash import keccak as _keccak

from ledgerval import native
from ledgerval.native import hashes as nh
from ledgerval.reference.sm3 import sm3 as ref_sm3

pytestmark = pytest.mark.skipif(not (native.AVAILABLE and nh.available()), reason="native hash kernels not built")
SEED = 20261203
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"
GM = VECTORS / "gm" / "sm2_sm3_vectors.json"

REFS = {
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "sha256d": lambda d: hashlib.sha256(hashlib.sha256(d).digest()).digest(),
    "sm3": lambda d: hashlib.new("sm3", d).digest() if "sm3" in hashlib.algorithms_available else ref_sm3(d),
    "keccak256": lambda d: _keccak.new(digest_bits=256, data=d).digest(),
}
TIERS = native.tiers_available()
LANE_COUNTS = list(range(1, 18)) + [31, 33, 100]


def spans(msgs, shift=0):
    """msgs back to back in a buffer whose data starts ``shift`` bytes past an allocation's start."""
    total = sum(len(m) for m in msgs)
    raw = np.zeros(total + 8, dtype=np.uint8)
    buf = raw[shift:shift + total]
    buf[:] = np.frombuffer(b"".join(msgs), dtype=np.uint8)
    off = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=off[1:])
    return buf, off


def digests(algo, msgs, path, shift=0):
    buf, off = spans(msgs, shift)
    out = np.zeros((len(msgs), 32), dtype=np.uint8)
    nh.hash_spans(algo, buf, off, out, path)
    return [bytes(r) for r in out]


def digests64(algo, rows, path, shift=0):
    n = rows.shape[0]
    raw = np.zeros(64 * n + 8, dtype=np.uint8)
    data = raw[shift:shift + 64 * n].reshape(n, 64)
    data[:] = rows
    out = np.zeros((n, 32), dtype=np.uint8)
    nh.hash_64(algo, data, out, path)
    return [bytes(r) for r in out]


@pytest.fixture(params=TIERS)
def tier(request):
    with native.tier_mask(request.param):
        yield request.param


def expected_path(tier_name, algo):
    if tier_name.startswith("avx512"):
        return "avx512"
    if tier_name == "portable":
        return "portable"
    if algo in ("sha256", "sha256d") and tier_name == "avx2" and nh.path_ok(algo, "shani"):
        return nh.best_path(algo)  # SHA-NI or AVX2, by the measured order; both are tested below
    return "avx2"


@pytest.mark.parametrize("algo", nh.ALGOS)
def test_tier_picks_its_path(tier, algo):
    want = expected_path(tier, algo)
    assert nh.best_path(algo) == want
    assert nh.path_ok(algo, "avx2") == (tier != "portable")
    from ledgerval.hashing import paths

    assert paths()[algo] == "native-" + want


@pytest.mark.parametrize("algo", nh.ALGOS)
def test_every_length_at_every_tier(tier, algo):
    """Lengths 0..300 (the 55/56/64 padding edges, Keccak's 135/136) and some long ones, shuffled so that
    lanes finish at different blocks; ``auto`` at this tier against the portable path and the reference."""
    rng = random.Random(SEED)
    print("seed", SEED)
    msgs = [rng.randbytes(n) for n in range(301)]
    msgs += [rng.randbytes(rng.randrange(301, 3000)) for _ in range(4 if QUICK else 12)]
    rng.shuffle(msgs)
    got = digests(algo, msgs, "auto")
    assert got == digests(algo, msgs, "portable")
    for m, d in zip(msgs, got):
        assert d == REFS[algo](m), (tier, algo, len(m))


LONG_LAYOUTS = {
    "one long": [5000],
    "long first": [4096] + [100] * 20,
    "long last": [70] * 20 + [9000],
    "longs among shorts": [300, 4095, 4096, 0, 64, 12000, 12000, 55, 4100] + [64] * 9,
    "many longs": [4096 + 7 * i for i in range(13)] + [1, 2, 3],
    "small batch": [1000, 64, 0],
}


@pytest.mark.parametrize("algo", nh.ALGOS)
@pytest.mark.parametrize("layout", sorted(LONG_LAYOUTS))
def test_long_messages_take_one_stream_paths(tier, algo, layout):
    """``auto`` sends messages of 4 KB and more that cannot fill the lanes to SHA-NI or the portable code
    (native/src/hash.c, spans_auto), and SHA-256 batches of up to 8 to SHA-NI: the runs between them, the
    single ones and their order must still give every digest at its own index."""
    rng = random.Random(SEED + len(layout))
    msgs = [rng.randbytes(n) for n in LONG_LAYOUTS[layout]]
    want = [REFS[algo](m) for m in msgs]
    assert digests(algo, msgs, "auto") == want
    assert digests(algo, msgs, "auto", shift=3) == want
    for path in nh.PATHS:
        if nh.path_ok(algo, path):
            assert digests(algo, msgs, path) == want, path


@pytest.mark.parametrize("algo", ["sha256", "sha256d"])
@pytest.mark.parametrize("n", [1, 3, 5])
def test_shani_odd_message_counts(algo, n):
    """An odd last message runs paired with an empty one whose digest is dropped (hash_sha256_ni_impl.h)."""
    if not nh.path_ok(algo, "shani"):
        pytest.skip("no SHA-NI on this CPU")
    rng = random.Random(SEED + n)
    msgs = [rng.randbytes(rng.randrange(0, 300)) for _ in range(n - 1)] + [rng.randbytes(777)]
    assert digests(algo, msgs, "shani") == [REFS[algo](m) for m in msgs]
    rows = np.frombuffer(rng.randbytes(64 * n), dtype=np.uint8).reshape(n, 64)
    assert digests64(algo, rows, "shani") == [REFS[algo](bytes(r)) for r in rows]


@pytest.mark.parametrize("algo", nh.ALGOS)
@pytest.mark.parametrize("shift", range(8))
def test_lane_counts_and_unaligned_buffers(tier, algo, shift):
    """Batches of 1..17, 31, 33, 100 messages (not multiples of 4, 8 or 16) at a buffer offset by 0..7
    bytes: random lengths through the lane scheduler, and 64-byte rows through both entries."""
    rng = random.Random(SEED + shift)
    counts = LANE_COUNTS[::3] if QUICK else LANE_COUNTS
    for n in counts:
        msgs = [rng.randbytes(rng.randrange(0, 200)) for _ in range(n)]
        assert digests(algo, msgs, "auto", shift) == [REFS[algo](m) for m in msgs], (n, shift)
        rows = np.frombuffer(rng.randbytes(64 * n), dtype=np.uint8).reshape(n, 64)
        want = [REFS[algo](bytes(r)) for r in rows]
        assert digests64(algo, rows, "auto", shift) == want, (n, shift)
        assert digests(algo, [bytes(r) for r in rows], "auto", shift) == want, (n, shift)


@pytest.mark.parametrize("algo", nh.ALGOS)
def test_avx2_forced_matches_portable(algo):
    """The AVX2 path by name (not only as what ``auto`` picks), on one mixed batch, including spans that
    start mid-buffer (a chunk's slice of the offsets) and runs of equal lengths that keep lanes in step."""
    if not nh.path_ok(algo, "avx2"):
        pytest.skip("this CPU has no AVX2")
    rng = random.Random(SEED + 2)
    msgs = [rng.randbytes(rng.choice([0, 1, 32, 55, 56, 63, 64, 65, 119, 135, 136, 137, 300]))
            for _ in range(150)] + [bytes([7]) * 65] * 20
    buf, off = spans(msgs, 3)
    for a, b in ((0, len(msgs)), (5, 22), (17, 170)):
        out = np.zeros((b - a, 32), dtype=np.uint8)
        nh.hash_spans(algo, buf, off[a:b + 1], out, "avx2")
        assert [bytes(r) for r in out] == [REFS[algo](m) for m in msgs[a:b]], (a, b)


def test_keccak_avx2_without_bmi2():
    """The AVX2 Keccak path runs a fifth, scalar state beside the vector four only where BMI2 is there;
    with BMI2 masked off it takes the vector four alone: both forms against pycryptodome, through both
    entries, for lane counts that are not multiples of 4 or 5 and lengths around the 136-byte rate."""
    if not nh.path_ok("keccak256", "avx2"):
        pytest.skip("this CPU has no AVX2")
    rng = random.Random(SEED + 5)
    print("seed", SEED + 5)
    msgs = [rng.randbytes(n) for n in list(range(0, 300, 7)) + [64] * 9 + [135, 136, 137, 271, 272, 273]]
    rows = np.frombuffer(rng.randbytes(64 * 23), dtype=np.uint8).reshape(23, 64)
    for keep in (("SSE41", "AVX2"), ("SSE41", "AVX2", "BMI2")):
        with native.cpu_mask(native.features_mask(keep)):
            assert nh.best_path("keccak256") == "avx2", keep
            for n in (1, 3, 4, 5, 6, 9, 10, 11, 23):
                want = [REFS["keccak256"](bytes(r)) for r in rows[:n]]
                assert digests64("keccak256", rows[:n], "avx2", 1) == want, (keep, n)
            got = digests("keccak256", msgs, "avx2", 3)
            assert got == [REFS["keccak256"](m) for m in msgs], keep


def test_published_answers_on_avx2():
    """FIPS 180-2's "abc", Keccak-256 of the empty string (Ethereum's empty-code hash), GM/T 0004's "abc"."""
    if not nh.path_ok("sha256", "avx2"):
        pytest.skip("this CPU has no AVX2")
    known = {
        "sha256": (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        "keccak256": (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        "sm3": (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    }
    for algo, (msg, hexd) in known.items():
        assert digests(algo, [msg] * 9, "avx2") == [bytes.fromhex(hexd)] * 9, algo


@pytest.mark.skipif(not GM.exists(), reason="../shared/vectors/gm is absent")
def test_gmt_sm3_examples_every_path():
    """GM/T 0004-2012's two examples (3 and 64 bytes; the second also through the 64-byte entry) on every
    SM3 path this CPU has."""
    cases = json.loads(GM.read_text())["sm3"]
    msgs = [c["msg_ascii"].encode() for c in cases]
    want = [bytes.fromhex(c["digest"]) for c in cases]
    for path in (p for p in nh.PATHS if nh.path_ok("sm3", p)):
        assert digests("sm3", msgs * 5, path) == want * 5, path
        rows = np.frombuffer(msgs[1] * 3, dtype=np.uint8).reshape(3, 64)
        assert len(msgs[1]) == 64 and digests64("sm3", rows, path) == [want[1]] * 3, path


def test_env_tier_caps_hashing():
    """LEDGERVAL_CPU_FEATURES read at import caps the hash paths: AVX2 without SHA gives the AVX2 x8
    SHA-256; an empty list gives the portable path."""
    if "avx2-nosha" not in TIERS and "avx2" not in TIERS:
        pytest.skip("this CPU has no AVX2")
    code = ("import json; from ledgerval.hashing import paths; from ledgerval import native; "
            "print(json.dumps([native.tier(), paths()]))")

    def run(features):
        env = dict(os.environ, LEDGERVAL_CPU_FEATURES=features)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                             check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    t, p = run("SSE41,AVX2,BMI2,ADX")
    assert t == "avx2" and set(p.values()) == {"native-avx2"}
    t, p = run("")
    assert t == "portable" and set(p.values()) == {"native-portable"}


def _hash160(data: bytes) -> bytes:
    from Crypto.Hash import RIPEMD160

    return RIPEMD160.new(hashlib.sha256(data).digest()).digest()


@pytest.mark.parametrize("shift", [0, 1, 5])
def test_hash160_at_every_tier(tier, shift):
    """HASH160 (RIPEMD-160 of the SHA-256 digest; RIPEMD-160 8 lanes with AVX2) against pycryptodome, for
    batches of 1..17, 31, 33, 100 keys and more than one internal group of 64, at a buffer offset."""
    rng = random.Random(SEED + 160 + shift)
    for n in LANE_COUNTS + [64, 65, 130]:
        msgs = [rng.randbytes(rng.choice([0, 20, 32, 33, 65, 100])) for _ in range(n)]
        buf, off = spans(msgs, shift)
        out = np.zeros((n, 20), dtype=np.uint8)
        nh.hash160_spans(buf, off, out)
        assert [bytes(r) for r in out] == [_hash160(m) for m in msgs], (tier, n)

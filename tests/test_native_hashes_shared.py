"""Shared claims (``lv_hash_spans_shared``, ``lv_hash_pairs_shared``): every thread that calls an entry with the
same claim state hashes pieces until none is left, so the digests must not depend on the thread count, the
piece size or which thread came late.  Checked at every CPU tier this machine has (``tiers_available()`` +
``tier_mask``) against hashlib / pycryptodome / the SM3 reference, for 1..4 threads and odd piece sizes; plus
the claim protocol itself (a second caller finds nothing left, a bad piece is never counted finished) and
misuse."""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_engine_sigcache import run_in_threads
from test_native_hashes_avx2 import REFS, spans

from ledgerval import native
from ledgerval.native import hashes as nh
from ledgerval.native.errors import InvalidArgument, InvalidType, NativeMisuse

pytestmark = pytest.mark.skipif(not (native.AVAILABLE and nh.available()), reason="native hash kernels not built")
SEED = 20261204
PIECES = (1, 3, 17, 255, 1000)


@pytest.fixture(params=native.tiers_available())
def tier(request):
    with native.tier_mask(request.param):
        yield request.param


def racing(threads, call):
    """call() on ``threads`` Python threads at once (the native call drops the GIL, so they race for the
    same claims); re-raises what any of them raised."""
    run_in_threads(lambda _: call(), list(range(threads)))


@pytest.mark.parametrize("algo", nh.ALGOS)
def test_spans_independent_of_threads_and_pieces(tier, algo):
    """Random lengths 0..300 (lanes out of step) and a run of 64-byte messages (the 64-byte entry inside a
    piece), through ``hash_spans_threaded`` and through raw racing threads, for 1..4 threads and pieces of
    1, 3, 17, 255 and 1000 messages."""
    rng = random.Random(SEED)
    print("seed", SEED)
    msgs = [rng.randbytes(rng.randrange(0, 301)) for _ in range(700)] + [rng.randbytes(64) for _ in range(301)]
    want = [REFS[algo](m) for m in msgs]
    buf, off = spans(msgs)
    n = len(msgs)
    for threads in (1, 2, 3, 4):
        for piece in PIECES:
            out = nh.hash_spans_threaded(algo, buf, off, threads, piece)
            assert [bytes(r) for r in out] == want, (tier, threads, piece)
            out = np.zeros((n, 32), dtype=np.uint8)
            state = nh.shared_state()
            racing(threads, lambda o=out, p=piece, s=state: nh.hash_spans_shared(algo, buf, off, o, p, s))
            assert nh.shared_done(state, n)
            assert [bytes(r) for r in out] == want, (tier, threads, piece, "racing")
    # the default piece (bytes-based) with enough work to wake a helper
    big = msgs * 3
    out = nh.hash_spans_threaded(algo, *spans(big), 4)
    assert [bytes(r) for r in out] == want * 3


@pytest.mark.parametrize("algo", nh.ALGOS)
@pytest.mark.parametrize("prefix", [-1, 1])
def test_pairs_independent_of_threads_and_pieces(tier, algo, prefix):
    """64-byte rows, bare (Merkle interior nodes, hash_batch of (N, 64)) and behind RFC 6962's 0x01 (more
    than one stack group of 128 per piece at piece 1000), for 1..4 threads and odd pieces."""
    rng = random.Random(SEED + prefix)
    n = 1300
    data = np.frombuffer(rng.randbytes(64 * n), dtype=np.uint8).reshape(n, 64)
    head = b"" if prefix < 0 else bytes([prefix])
    want = [REFS[algo](head + bytes(r)) for r in data]
    for threads in (1, 2, 3, 4):
        for piece in PIECES:
            out = np.zeros((n, 32), dtype=np.uint8)
            assert not nh.hash_pairs_threaded(algo, data, out, threads, prefix, True, piece)
            assert [bytes(r) for r in out] == want, (tier, threads, piece)
            out = np.zeros((n, 32), dtype=np.uint8)
            state = nh.shared_state()
            racing(threads, lambda o=out, p=piece, s=state: nh.hash_pairs_shared(algo, data, o, p, s, prefix))
            assert nh.shared_done(state, n) and [bytes(r) for r in out] == want, (tier, threads, piece)


@pytest.mark.parametrize("where", [0, 517, 1299])
def test_pairs_report_equal_halves_from_any_piece(where):
    """The CVE-2012-2459 check runs per piece, whichever thread claims it: one row of two equal nodes, first,
    in the middle or last, is reported for every thread count and piece; none is reported without one."""
    rng = np.random.default_rng(where)
    data = rng.integers(0, 256, size=(1300, 64), dtype=np.uint8)
    assert not nh.pairs_equal(data)
    planted = data.copy()
    planted[where, 32:] = planted[where, :32]
    out = np.zeros((1300, 32), dtype=np.uint8)
    for threads in (1, 2, 4):
        for piece in (7, 256):
            assert nh.hash_pairs_threaded("sha256d", planted, out, threads, -1, True, piece)
            assert not nh.hash_pairs_threaded("sha256d", planted, out, threads, -1, False, piece)
            assert not nh.hash_pairs_threaded("sha256d", data, out, threads, -1, True, piece)


def test_a_late_caller_finds_nothing_left():
    """Claims are the state's, not the caller's: a second call with a finished state writes nothing, and a
    fresh state hashes everything again."""
    msgs = [bytes([i]) * i for i in range(50)]
    buf, off = spans(msgs)
    out = np.zeros((50, 32), dtype=np.uint8)
    state = nh.shared_state()
    assert not nh.shared_done(state, 50)
    nh.hash_spans_shared("sha256", buf, off, out, 8, state)
    assert nh.shared_done(state, 50) and state[1] == 50
    out[:] = 0
    nh.hash_spans_shared("sha256", buf, off, out, 8, state)
    assert not out.any()
    nh.hash_spans_shared("sha256", buf, off, out, 8, nh.shared_state())
    assert [bytes(r) for r in out] == [REFS["sha256"](m) for m in msgs]


def test_bad_offsets_fail_their_piece_only():
    """Offsets are checked per piece before it is read: the piece holding a decreasing offset is refused
    (NativeMisuse) and never counted finished, so the batch never reads as done; pieces before it are."""
    msgs = [b"x" * 10] * 40
    buf, off = spans(msgs)
    off[25] = off[24] - 1
    out = np.zeros((40, 32), dtype=np.uint8)
    state = nh.shared_state()
    with pytest.raises(NativeMisuse):
        nh.hash_spans_shared("sha256", buf, off, out, 10, state)
    assert state[1] == 20 and not nh.shared_done(state, 40, spin_ns=1000)
    assert bytes(out[19]) == REFS["sha256"](b"x" * 10) and not out[20:].any()
    off = np.array([0, 5, len(buf) + 1], dtype=np.int64)
    with pytest.raises(NativeMisuse):
        nh.hash_spans_shared("sha256", buf, off, np.zeros((2, 32), dtype=np.uint8), 1, nh.shared_state())


def test_misuse():
    buf, off = spans([b"abc"] * 3)
    out = np.zeros((3, 32), dtype=np.uint8)
    with pytest.raises(InvalidArgument):
        nh.hash_spans_shared("sha256", buf, off, out, 0, nh.shared_state())
    with pytest.raises(InvalidArgument):
        nh.hash_spans_shared("sha256", buf, off, out, True, nh.shared_state())
    with pytest.raises(InvalidType):
        nh.hash_spans_shared("sha256", buf, off, out, 4, np.zeros(2, dtype=np.int32))
    with pytest.raises(InvalidType):
        nh.hash_spans_shared("sha256", buf, off, out, 4, np.zeros(3, dtype=np.int64))
    with pytest.raises(InvalidArgument):
        nh.hash_spans_shared("md5", buf, off, out, 4, nh.shared_state())
    data = np.zeros((3, 64), dtype=np.uint8)
    for prefix in (-2, 256, 1.0):
        with pytest.raises(InvalidArgument):
            nh.hash_pairs_shared("sm3", data, out, 4, nh.shared_state(), prefix)
    with pytest.raises(InvalidArgument):
        nh.hash_pairs_shared("sm3", data, out, 4, nh.shared_state(), -1, np.zeros(2, dtype=np.uint8))
    with pytest.raises(InvalidArgument):
        nh.hash_pairs_shared("sm3", data[:, :32].copy(), out, 4, nh.shared_state())
    # the C layer refuses what the Python layer lets through only by mistake
    lib, ffi = native.lib, native.ffi
    st = nh.shared_state()
    pst = ffi.cast("int64_t *", ffi.from_buffer(st))
    assert lib.lv_hash_pairs_shared(0, -1, ffi.from_buffer(data), 3, -1, 0, pst, ffi.from_buffer(out),
                                    ffi.NULL) == lib.LV_EMISUSE
    assert lib.lv_hash_pairs_shared(0, -1, ffi.from_buffer(data), 3, 300, 2, pst, ffi.from_buffer(out),
                                    ffi.NULL) == lib.LV_EMISUSE
    assert lib.lv_hash_pairs_shared(0, -1, ffi.from_buffer(data), 3, -1, 2, ffi.NULL, ffi.from_buffer(out),
                                    ffi.NULL) == lib.LV_EMISUSE
    assert lib.lv_hash_shared_wait(ffi.NULL, 3, 0) == lib.LV_EMISUSE
    assert lib.lv_hash_pairs_shared(9, -1, ffi.NULL, 0, -1, 1, pst, ffi.NULL, ffi.NULL) == lib.LV_EBADALGO
    assert lib.lv_hash_pairs_shared(0, -1, ffi.NULL, 0, -1, 1, pst, ffi.NULL, ffi.NULL) == lib.LV_OK
    assert (st == 0).all()  # an empty batch claims nothing

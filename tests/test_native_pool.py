"""native/_pool.py: ``run_chunks`` covers every item exactly once; ``start_shared`` runs its drain on the
helpers and in the caller, re-raising what a helper raised; ``run_job`` (native/src/pool.c) gives the same
digests as the portable path for any thread count, job size, tier and number of concurrent callers, hands jobs
to parked helpers, reports misuse from any piece without hanging, and survives close and fork."""
from __future__ import annotations

import os
import random
import signal
import threading
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval import native
from ledgerval.native import _pool
from ledgerval.native._pool import run_chunks, start_shared
from ledgerval.native.errors import NativeMisuse


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300), st.integers(1, 6), st.integers(1, 200))
def test_run_chunks_covers_each_item_once(n, threads, min_chunk):
    seen = np.zeros(n, dtype=np.int64)
    chunks = []
    lock = threading.Lock()

    def fn(a, b):
        assert 0 <= a < b <= n
        with lock:
            seen[a:b] += 1
            chunks.append((a, b))

    run_chunks(n, threads, fn, min_chunk=min_chunk)
    assert (seen == 1).all()
    assert len(chunks) <= max(1, threads) and all(b - a >= min_chunk for a, b in chunks[1:] or [])


def test_start_shared_runs_helpers_and_caller():
    items = list(range(1000))
    taken = []
    lock = threading.Lock()
    names = set()

    def drain():
        while True:
            with lock:
                if not items:
                    return
                taken.append(items.pop())
                names.add(threading.current_thread().name)

    work = start_shared(3, drain, helpers_wanted=2)
    work.join()
    work.join()  # a second join is a no-op
    assert sorted(taken) == list(range(1000))
    work = start_shared(1, lambda: names.add("one thread"), helpers_wanted=4)
    assert "one thread" not in names  # nothing runs before join with one thread
    work.join()
    assert "one thread" in names


def test_start_shared_reraises_a_helper_error():
    calls = []

    def drain():
        calls.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("helper failed")

    work = start_shared(2, drain, helpers_wanted=1)
    with pytest.raises(RuntimeError, match="helper failed"):
        work.join()
    assert len(calls) == 2


def test_start_shared_hands_over_to_an_idle_helper(monkeypatch):
    """With no helper busy, start_shared returns only once a helper has begun its drain (so a caller going
    on with pure Python does not keep it waiting for the GIL); with one busy, it does not wait at all."""
    import time

    from ledgerval.native import _pool

    monkeypatch.setattr(_pool, "_START_WAIT_S", 5.0)  # a safety net this test must never reach
    begun = threading.Event()
    release = threading.Event()

    def slow_drain():
        if threading.current_thread() is not threading.main_thread():
            begun.set()
            release.wait(10)

    t0 = time.perf_counter()
    first = start_shared(2, slow_drain, helpers_wanted=1)
    assert begun.is_set() and time.perf_counter() - t0 < 4.0
    t0 = time.perf_counter()
    second = start_shared(2, lambda: None, helpers_wanted=1)  # its helper queues behind the busy one
    assert time.perf_counter() - t0 < 1.0
    release.set()
    first.join()
    second.join()
    assert _pool._active_helpers == 0


# --- parked helpers (native/src/pool.c, _pool.run_job) -------------------------------------------------------

NATIVE = native.AVAILABLE and native.has("lv_pool_post")
if NATIVE:
    from ledgerval.native import hashes as nh
    lib, ffi = native.lib, native.ffi
needs_native = pytest.mark.skipif(not NATIVE, reason="native pool not built")
QUICK = os.environ.get("LEDGERVAL_TEST_QUICK") == "1"
SEED = 20261204
ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
LONG_PARK = 2_000_000_000  # parked helpers in these tests wait for the test, never for the clock


def _spans(msgs):
    off = np.zeros(len(msgs) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(m) for m in msgs])
    return np.frombuffer(b"".join(msgs) or b"\0", dtype=np.uint8).copy(), off


def _spans_job(algo, buf, off, out, piece):
    job = _pool.new_job()
    assert lib.lv_pool_job_hash_spans(_pool.job_ptr(job), ALGOS.index(algo), lib.LV_PATH_AUTO, ffi.from_buffer(buf),
                                      buf.shape[0], ffi.cast("int64_t *", ffi.from_buffer(off)), off.shape[0] - 1,
                                      piece, ffi.from_buffer(out, require_writable=True)) == lib.LV_OK
    return job


def _pairs_job(algo, data, out, piece, prefix=-1):
    job = _pool.new_job()
    assert lib.lv_pool_job_hash_pairs(_pool.job_ptr(job), ALGOS.index(algo), lib.LV_PATH_AUTO, ffi.from_buffer(data),
                                      data.shape[0], prefix, piece, ffi.from_buffer(out, require_writable=True),
                                      ffi.NULL) == lib.LV_OK
    return job


def _slots():
    ctl = _pool._control()
    return ctl[lib.LV_POOL_SLOT_WORDS::lib.LV_POOL_SLOT_WORDS]


def _wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.0005)


def _park_one(algo, data, out, park_ns):
    """Run jobs until a helper is parked (one that comes after the caller has taken everything is not waited
    for, and parks only when it gets there)."""
    for _ in range(200):
        _pool.run_job(2, _pairs_job(algo, data, out, 16), 1, park_ns)
        deadline = time.monotonic() + 0.05
        while time.monotonic() < deadline:
            if _slots().any():
                return
    raise AssertionError("no helper parked")


@pytest.fixture
def unparked():
    """No helper parked before or after the test (a test that parks one for long releases it here)."""
    def release():
        lib.lv_pool_close(_pool.job_ptr(_pool._control()), 1)
        _wait_for(lambda: not _slots().any())
        lib.lv_pool_close(_pool.job_ptr(_pool._control()), 0)

    release()
    yield
    release()


@pytest.fixture(params=native.tiers_available() if NATIVE else ["portable"])
def tier(request):
    with native.tier_mask(request.param):
        yield request.param


def _portable(algo, buf, off):
    out = np.zeros((off.shape[0] - 1, 32), dtype=np.uint8)
    nh.hash_spans(algo, buf, off, out, path="portable")
    return out


@needs_native
def test_back_to_back_jobs_match_the_portable_path(tier, unparked):
    """The stress test: back-to-back small and large jobs (spans of random lengths 0..300, and 64-byte pairs)
    for 1..4 threads, from one caller and from three callers at once, helpers parked between jobs, at every
    tier; each job's digests equal the portable path's, and some jobs went to parked helpers."""
    rng = random.Random(SEED)
    print("seed", SEED)
    jobs = []
    for algo in ALGOS:
        for n in (1, 5, 40, 300) if QUICK else (1, 2, 5, 17, 40, 300, 1500):
            msgs = [rng.randbytes(rng.randrange(0, 301)) for _ in range(n)]
            buf, off = _spans(msgs)
            jobs.append(("spans", algo, buf, off, _portable(algo, buf, off)))
        for n in (3, 700) if QUICK else (3, 64, 700, 4100):
            data = np.frombuffer(rng.randbytes(64 * n), dtype=np.uint8).reshape(n, 64)
            jobs.append(("pairs", algo, data, None, _portable(algo, data.reshape(-1), np.arange(n + 1) * 64)))
    handed = int(_pool._control()[lib.LV_POOL_HANDED])
    rounds = 1 if QUICK else 3

    def run_all(threads, order):
        for i in order:
            kind, algo, a, off, want = jobs[i]
            out = np.zeros_like(want)
            piece = 1 + i % 37
            job = _spans_job(algo, a, off, out, piece) if kind == "spans" else _pairs_job(algo, a, out, piece)
            _pool.run_job(threads, job, threads - 1, LONG_PARK // 1000)
            assert (out == want).all(), (tier, threads, kind, algo, len(want), piece)

    for threads in (1, 2, 3, 4):
        for r in range(rounds):
            order = list(range(len(jobs)))
            random.Random(r).shuffle(order)
            run_all(threads, order)
    errors = []

    def caller(threads, step):
        try:
            run_all(threads, list(range(len(jobs)))[::step])
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            errors.append(exc)

    racing = [threading.Thread(target=caller, args=ts) for ts in ((2, 1), (3, 2), (4, 3))]
    for th in racing:
        th.start()
    for th in racing:
        th.join()
    assert not errors, errors
    assert int(_pool._control()[lib.LV_POOL_HANDED]) > handed


@needs_native
def test_a_parked_helper_takes_the_next_job_then_leaves(unparked):
    """After a job, its helper parks (a slot reads 1); the next job is posted to it (counted in
    LV_POOL_HANDED, two threads enter the job); release_parked sends it back to Python."""
    data = np.random.default_rng(1).integers(0, 256, size=(4096, 64), dtype=np.uint8)
    want = _portable("sha256", data.reshape(-1), np.arange(4097) * 64)
    out = np.zeros_like(want)
    _park_one("sha256", data, out, LONG_PARK)
    assert (out == want).all() and (_slots() == 1).sum() == 1
    ctl = _pool._control()
    handed = int(ctl[lib.LV_POOL_HANDED])
    out[:] = 0
    job = _pairs_job("sha256", data, out, 16)
    _pool.run_job(2, job, 1, LONG_PARK)
    assert (out == want).all() and int(ctl[lib.LV_POOL_HANDED]) == handed + 1
    _wait_for(lambda: job[lib.LV_JOB_LEFT] == 1)
    assert job[lib.LV_JOB_JOINED] == 2 and job[lib.LV_JOB_STATE + 1] == 4096
    assert (_slots() == 1).sum() == 1  # parked again, with a fresh window
    _pool.release_parked()  # as start_shared and run_chunks do before waking their own helpers
    _wait_for(lambda: not _slots().any(), timeout=1.0)


@needs_native
def test_the_park_window_ends(unparked):
    """A helper parked for 2 ms returns to Python by itself; a job run with parking off posts to nobody."""
    data = np.zeros((2048, 64), dtype=np.uint8)
    out = np.zeros((2048, 32), dtype=np.uint8)
    _park_one("sm3", data, out, 2_000_000)
    _wait_for(lambda: not _slots().any(), timeout=5.0)
    handed = int(_pool._control()[lib.LV_POOL_HANDED])
    _pool.run_job(2, _pairs_job("sm3", data, out, 16), 1, 0)  # park 0: never posts, its helper never parks
    assert int(_pool._control()[lib.LV_POOL_HANDED]) == handed
    _wait_for(lambda: not _slots().any(), timeout=5.0)


@needs_native
@pytest.mark.parametrize("park", [0, LONG_PARK])
def test_misuse_in_any_piece_raises_without_hanging(unparked, park):
    """A decreasing offset in one piece: whichever thread claims it (the caller, a woken or a parked
    helper), run_job raises NativeMisuse once every helper has left the job; the next job still works."""
    msgs = [b"y" * 33] * 400
    buf, off = _spans(msgs)
    for bad in (3, 200, 399):
        broken = off.copy()
        broken[bad] = broken[bad - 1] - 1
        for _ in range(3):
            out = np.zeros((400, 32), dtype=np.uint8)
            job = _spans_job("sha256", buf, broken, out, 8)
            with pytest.raises(NativeMisuse):
                _pool.run_job(2, job, 1, park)
            assert job[lib.LV_JOB_RC] == lib.LV_EBADOFFSETS
    out = np.zeros((400, 32), dtype=np.uint8)
    _pool.run_job(2, _spans_job("sha256", buf, off, out, 8), 1, park)
    assert (out == _portable("sha256", buf, off)).all()


@needs_native
def test_pool_entries_refuse_misuse(unparked):
    ctl = _pool._control()
    job = _pool.new_job()
    assert lib.lv_pool_job_run(_pool.job_ptr(job)) == lib.LV_EMISUSE  # kind 0: not a job
    assert job[lib.LV_JOB_RC] == lib.LV_EMISUSE
    assert lib.lv_pool_job_run(ffi.NULL) == lib.LV_EMISUSE
    assert lib.lv_pool_post(ffi.NULL, _pool.job_ptr(job), 1) == lib.LV_EMISUSE
    assert lib.lv_pool_post(_pool.job_ptr(ctl), _pool.job_ptr(job), -1) == lib.LV_EMISUSE
    assert lib.lv_pool_post(_pool.job_ptr(ctl), _pool.job_ptr(job), 3) == 0  # nobody parked
    assert lib.lv_pool_park(ffi.NULL, ffi.NULL, 10) == lib.LV_EMISUSE
    assert lib.lv_pool_park(_pool.job_ptr(ctl), ffi.NULL, -1) == lib.LV_EMISUSE
    assert lib.lv_pool_job_wait(ffi.NULL, 0, 0, 0) == lib.LV_EMISUSE
    assert lib.lv_pool_job_wait(_pool.job_ptr(job), 0, -1, 0) == lib.LV_EMISUSE
    assert lib.lv_pool_close(ffi.NULL, 1) == lib.LV_EMISUSE
    assert lib.lv_pool_release(ffi.NULL) == lib.LV_EMISUSE
    assert lib.lv_pool_job_hash_spans(ffi.NULL, 0, -1, ffi.NULL, 0, ffi.NULL, 0, 1, ffi.NULL) == lib.LV_EMISUSE
    lib.lv_pool_close(_pool.job_ptr(ctl), 1)
    t0 = time.perf_counter()
    assert lib.lv_pool_park(_pool.job_ptr(ctl), ffi.NULL, LONG_PARK) == 0  # closed: returns at once
    assert time.perf_counter() - t0 < 1.0 and not _slots().any()
    lib.lv_pool_close(_pool.job_ptr(ctl), 0)
    # a job of an unknown kind fails on every thread, parked ones included
    job[lib.LV_JOB_KIND] = 99
    with pytest.raises(NativeMisuse):
        _pool.run_job(2, job, 1, LONG_PARK)


@needs_native
def test_a_forked_child_hashes_on_its_own_threads(unparked):
    """A child forked while a helper is parked in the parent has no such thread: its jobs must neither be
    posted to it nor queue on the parent's pools."""
    data = np.random.default_rng(2).integers(0, 256, size=(4096, 64), dtype=np.uint8)
    want = _portable("keccak256", data.reshape(-1), np.arange(4097) * 64)
    out = np.zeros_like(want)
    _park_one("keccak256", data, out, LONG_PARK)
    with warnings.catch_warnings():  # Python 3.12+ warns about forking a threaded process: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            signal.alarm(20)
            for _ in range(3):
                out[:] = 0
                _pool.run_job(2, _pairs_job("keccak256", data, out, 16), 1, 1_000_000)
                code = 0 if (out == want).all() and code != 2 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

"""Build the whole native module with AddressSanitizer + UBSan (and LV_VERIFY assertions) into a temp dir and
run every tests/test_native_*.py against it in a subprocess.

The sanitized module is loaded through LEDGERVAL_NATIVE_SO with libasan preloaded (the Python binary is not
instrumented).  LEDGERVAL_TEST_QUICK=1 asks the native tests to shrink their random iteration counts.
Skips cleanly when gcc or libasan is unavailable.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _runtime(name: str) -> str | None:
    try:
        out = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return path if out.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


def test_native_tests_pass_under_asan_and_ubsan(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc not available")
    asan = _runtime("libasan.so")
    if asan is None:
        pytest.skip("libasan not available")
    sys.path.insert(0, str(ROOT / "native"))
    try:
        import build_native
    finally:
        sys.path.pop(0)
    so = build_native.make_builder(sanitize=True, absolute=True).compile(tmpdir=str(tmp_path), verbose=False)
    tests = sorted(p for p in glob.glob(str(ROOT / "tests" / "test_native_*.py"))
                   if not p.endswith("test_native_sanitizers.py"))
    if not tests:
        pytest.skip("no native tests to run")
    preload = [asan]
    ubsan = _runtime("libubsan.so")
    if ubsan:
        preload.append(ubsan)
    env = dict(os.environ,
               LD_PRELOAD=" ".join(preload),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               LEDGERVAL_NATIVE_SO=so,
               # pycryptodome dlopens with RTLD_DEEPBIND, which the sanitizer runtime refuses
               PYCRYPTODOME_DISABLE_DEEPBIND="1",
               LEDGERVAL_TEST_QUICK="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--benchmark-disable", *tests], cwd=str(ROOT), env=env, capture_output=True,
                          text=True, timeout=900)
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, tail
    assert "ERROR: AddressSanitizer" not in tail and "runtime error:" not in tail, tail
    print(tail[-800:])

"""Thin Python layer over the C kernels (``ledgerval.native``).

Checks dtypes, shapes and contiguity, passes numpy buffers without copies, maps return codes to exceptions
and holds no policy.  ``AVAILABLE`` is False when the compiled module is missing (a source checkout that was
not built); the engine then serves every call from its reference path.
"""
from __future__ import annotations

import os as _os


def _load():
    # LEDGERVAL_NATIVE_SO points at another build of the same module (the AddressSanitizer build that the
    # test suite makes), so the same wrappers and tests run against it.
    path = _os.environ.get("LEDGERVAL_NATIVE_SO")
    if path:
        import importlib.util

        spec = importlib.util.spec_from_file_location("_lvnative", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.ffi, mod.lib
    from ._lvnative import ffi, lib  # type: ignore[import-not-found]

    return ffi, lib


try:
    ffi, lib = _load()
    AVAILABLE = True
    IMPORT_ERROR: str | None = None
except ImportError as exc:  # pragma: no cover - exercised only on unbuilt checkouts
    ffi = lib = None
    AVAILABLE = False
    IMPORT_ERROR = str(exc)

_FEATURE_NAMES = ("SSE41", "AVX2", "BMI2", "ADX", "SHA", "AVX512F", "AVX512BW", "AVX512VL",
                  "AVX512IFMA", "AVX512VBMI")


def cpu_features() -> dict[str, bool]:
    """The CPU features the kernels may use (detected, minus any mask)."""
    if not AVAILABLE:
        return {name: False for name in _FEATURE_NAMES}
    bits = lib.lv_cpu_features()
    return {name: bool(bits & getattr(lib, "LV_CPU_" + name)) for name in _FEATURE_NAMES}


def has(symbol: str) -> bool:
    """True when the compiled module exports ``symbol`` (a kernel family is built in)."""
    return AVAILABLE and hasattr(lib, symbol)


class cpu_mask:
    """Context manager that masks CPU features off, forcing portable paths (tests and benchmarks)."""

    def __init__(self, keep: int = 0):
        self.keep = keep

    def __enter__(self):
        if AVAILABLE:
            self._old = lib.lv_cpu_set_mask(self.keep)
        return self

    def __exit__(self, *exc):
        if AVAILABLE:
            lib.lv_cpu_set_mask(self._old)
        return False

"""Thin Python layer over the C kernels (``ledgerval.native``).

Checks dtypes, shapes and contiguity, passes numpy buffers without copies, maps return codes to exceptions
and holds no policy.  ``AVAILABLE`` is False when the compiled module is missing (a source checkout that was
not built); the engine then serves every call from its reference path.
"""
from __future__ import annotations

import os as _os
import warnings as _warnings

from .errors import InvalidArgument as _InvalidArgument
from .errors import NativeMisuse as _NativeMisuse


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
    # Said once, at import: without the module every call takes the pure-Python reference path, about a
    # thousand times slower, and the results stay correct, so nothing else would tell.
    _warnings.warn(f"ledgerval's C kernels are not built ({exc}); every call falls back to the slow reference "
                   "path.  Build them with `python native/build_native.py` (or reinstall: pip install -e .)",
                   RuntimeWarning, stacklevel=2)

_FEATURE_NAMES = ("SSE41", "AVX2", "BMI2", "ADX", "SHA", "AVX512F", "AVX512BW", "AVX512VL",
                  "AVX512IFMA", "AVX512VBMI")
_ALIASES = {"SHANI": "SHA", "SHA-NI": "SHA", "SSE4.1": "SSE41", "SSE4_1": "SSE41", "IFMA": "AVX512IFMA"}

# The tiers, from the top: the features each keeps (a name list; the machine may lack some of them).
TIERS = {
    "avx512-ifma": _FEATURE_NAMES,
    "avx512": tuple(f for f in _FEATURE_NAMES if f not in ("AVX512IFMA", "AVX512VBMI")),
    "avx2": ("SSE41", "AVX2", "BMI2", "ADX", "SHA"),
    "avx2-nosha": ("SSE41", "AVX2", "BMI2", "ADX"),
    "portable": (),
}


def features_mask(names) -> int:
    """The feature bit mask that keeps exactly ``names`` (feature names, case-insensitive, as
    ``cpu_features`` lists them; SHA-NI, SSE4.1 and IFMA are accepted spellings)."""
    mask = 0
    for raw in names:
        name = raw.strip().upper()
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if name not in _FEATURE_NAMES:
            raise _InvalidArgument(f"unknown CPU feature {raw.strip()!r}; known: {', '.join(_FEATURE_NAMES)}")
        if AVAILABLE:
            mask |= getattr(lib, "LV_CPU_" + name)
    return mask


def _env_mask() -> int:
    """LEDGERVAL_CPU_FEATURES=AVX2,BMI2,ADX keeps those features and masks every other one off, for every
    kernel family (an operator sizing a smaller server, or the tests running each tier).  Unset: all."""
    spec = _os.environ.get("LEDGERVAL_CPU_FEATURES")
    if spec is None:
        return 0xFFFFFFFF
    try:
        return features_mask(spec.split(","))
    except ValueError as exc:
        raise _InvalidArgument(f"LEDGERVAL_CPU_FEATURES={spec!r}: {exc}") from None


ENV_MASK = _env_mask()
if AVAILABLE:
    lib.lv_cpu_set_mask(ENV_MASK)


def cpu_features() -> dict[str, bool]:
    """The CPU features the kernels may use (detected, minus any mask)."""
    if not AVAILABLE:
        return {name: False for name in _FEATURE_NAMES}
    bits = lib.lv_cpu_features()
    return {name: bool(bits & getattr(lib, "LV_CPU_" + name)) for name in _FEATURE_NAMES}


def tier() -> str:
    """The tier the kernels run at now: ``avx512-ifma``, ``avx512``, ``avx2`` or ``portable``."""
    f = cpu_features()
    if f["AVX512F"] and f["AVX512BW"]:
        return "avx512-ifma" if f["AVX512IFMA"] else "avx512"
    return "avx2" if f["AVX2"] else "portable"


def tiers_available() -> list[str]:
    """The names in TIERS this machine can run (under LEDGERVAL_CPU_FEATURES), top first, each distinct."""
    if not AVAILABLE:
        return ["portable"]
    out, seen = [], set()
    for name, keep in TIERS.items():
        with cpu_mask(features_mask(keep)):
            bits = lib.lv_cpu_features()
            if bits in seen or (name != "portable" and tier() != name.split("-nosha")[0]):
                continue
            seen.add(bits)
            out.append(name)
    return out


# What each shared misuse code (native/src/lv_status.h) means, for the exception's message.
_MISUSE = {
    "LV_EMISUSE": "a NULL buffer, an unknown op or a size out of range",
    "LV_EBADALGO": "unknown algorithm",
    "LV_EBADPATH": "this path is not available for this algorithm on this CPU",
    "LV_EBADOFFSETS": "offsets must be nondecreasing and within the buffer",
    "LV_EBADSLOT": "a cache row index is outside the arena",
    "LV_ESCRATCH": "the scratch buffer is too small",
}


def check_rc(rc: int, what: str) -> None:
    """Turn a kernel's return code into ``NativeMisuse`` (every family shares the codes of lv_status.h);
    LV_OK and the non-negative counts some test entry points return pass."""
    if rc >= 0:
        return
    for name, meaning in _MISUSE.items():
        if rc == getattr(lib, name):
            raise _NativeMisuse(f"{what}: {meaning} ({name})")
    raise _NativeMisuse(f"{what} reported misuse (code {rc})")


# Each signature family's code paths, in the order of their C constants (LV_<FAMILY>_PATH_*); the C side
# picks one from a measured table (lv_<family>_best_path), as hash.c does for the hashes (native/hashes.py).
FAMILY_PATHS = {
    "secp256k1": ("scalar", "ifma8", "adx"),
    "p256": ("portable", "adx", "ifma8"),
    "sm2": ("portable", "adx", "ifma8"),
    "ed25519": ("portable", "ifma8", "avx2", "adx"),
}


def _family(family: str) -> tuple[str, ...]:
    if family not in FAMILY_PATHS:
        raise _InvalidArgument(f"unknown kernel family {family!r}; known: {', '.join(FAMILY_PATHS)}")
    if not has(f"lv_{family}_best_path"):
        raise NotImplementedError(f"the native {family} kernel is not built into this install")
    return FAMILY_PATHS[family]


def best_path(family: str) -> str:
    """The path ``family``'s kernels take now (CPU features after LEDGERVAL_CPU_FEATURES and ``cpu_mask``)."""
    return _family(family)[getattr(lib, f"lv_{family}_best_path")()]


def path_ok(family: str, path: str) -> bool:
    """True when this CPU (after any mask) and build have ``path`` for ``family``."""
    paths = _family(family)
    if path not in paths:
        raise _InvalidArgument(f"unknown {family} path {path!r}; known: {', '.join(paths)}")
    return bool(getattr(lib, f"lv_{family}_path_ok")(paths.index(path)))


def has(symbol: str) -> bool:
    """True when the compiled module exports ``symbol`` (a kernel family is built in)."""
    return AVAILABLE and hasattr(lib, symbol)


class cpu_mask:
    """Context manager that masks CPU features off, forcing slower paths (tests and benchmarks).  ``keep`` is
    the bit mask of features kept (0: portable); it never restores what LEDGERVAL_CPU_FEATURES masked off.
    The mask is process-wide: do not use it while other threads run kernels."""

    def __init__(self, keep: int = 0):
        self.keep = keep

    def __enter__(self):
        if AVAILABLE:
            self._old = lib.lv_cpu_set_mask(self.keep & ENV_MASK)
        return self

    def __exit__(self, *exc):
        if AVAILABLE:
            lib.lv_cpu_set_mask(self._old)
        return False


class tier_mask(cpu_mask):
    """``cpu_mask`` for one of TIERS by name."""

    def __init__(self, name: str):
        if name not in TIERS:
            raise _InvalidArgument(f"unknown tier {name!r}; known: {', '.join(TIERS)}")
        super().__init__(features_mask(TIERS[name]))
        self.name = name

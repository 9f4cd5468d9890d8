"""cffi build script for the one compiled module, ``ledgerval.native._lvnative``.

Every ``native/cdef/NAME.h`` is part of the cdef (cffi syntax, ``...`` lets the compiler supply constants)
and has a real C header ``native/src/NAME.h`` of the same name; every ``native/src/*.c`` is a translation
unit of the module.  A kernel family is added by dropping in its files, without editing this script.  Each ``.c`` file includes its own
``*_impl.h`` layers so the compiler can inline across them.

Run directly (``python native/build_native.py``) to rebuild the module in place during development.
``LEDGERVAL_SANITIZE=1`` builds with AddressSanitizer and UBSan (the test suite does this in a temp dir).
"""
from __future__ import annotations

import glob
import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODULE = "ledgerval.native._lvnative"

# Portable baseline only: faster paths are compiled per function with target attributes and chosen at
# run time by CPU detection, so the module runs on any x86-64 (and builds on other architectures).
BASE_CFLAGS = ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-Wall", "-Wno-unused-function"]
SANITIZE_CFLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                   "-fno-sanitize-recover=undefined", "-DLV_VERIFY=1"]


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def make_builder(module: str = MODULE, sanitize: bool = False, absolute: bool = False) -> FFI:
    """``absolute`` paths are for ffi.compile(tmpdir=...), which changes directory; setuptools wants them
    relative to the project root."""
    rel = (lambda p: p) if absolute else (lambda p: os.path.relpath(p, ROOT))
    ffi = FFI()
    cdefs = sorted(glob.glob(os.path.join(HERE, "cdef", "*.h")))
    ffi.cdef("\n".join(_read(p) for p in cdefs))
    sources = sorted(glob.glob(os.path.join(HERE, "src", "*.c")))
    cflags = list(BASE_CFLAGS)
    ldflags: list[str] = []
    if sanitize:
        cflags += SANITIZE_CFLAGS
        ldflags += ["-fsanitize=address,undefined"]
    header = "\n".join('#include "%s"' % os.path.basename(p) for p in cdefs)
    ffi.set_source(
        module,
        header,
        sources=[rel(p) for p in sources],
        include_dirs=[rel(os.path.join(HERE, "src"))],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
    )
    return ffi


ffibuilder = make_builder(sanitize=os.environ.get("LEDGERVAL_SANITIZE") == "1")


def build_inplace() -> str:
    """Compile into native/ (where an editable install imports it from); serialised by a lock file."""
    import fcntl
    import shutil

    tmp = os.path.join(ROOT, "build", "cffi-inplace")
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        builder = make_builder(sanitize=os.environ.get("LEDGERVAL_SANITIZE") == "1", absolute=True)
        so = builder.compile(tmpdir=tmp, verbose=False)
        # cffi's generated C uses the limited API, so the module carries the same abi3 name an editable
        # install gives it; any other stale copy would shadow it on import.
        dest = os.path.join(HERE, "_lvnative.abi3.so")
        for stale in glob.glob(os.path.join(HERE, "_lvnative*.so")):
            if stale != dest:
                os.remove(stale)
        shutil.copyfile(so, dest + ".tmp")
        os.replace(dest + ".tmp", dest)
    return dest


if __name__ == "__main__":
    print(build_inplace())
    sys.exit(0)

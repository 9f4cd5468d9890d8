"""One set of exceptions from the bottom layer up: native/errors.py defines them, ledgerval.errors
re-exports the same classes, and every native family turns a misuse return code into ``NativeMisuse``."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import ledgerval
from ledgerval import errors, native
from ledgerval.native import errors as nerrors

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="native module not built")


def test_engine_reexports_the_native_classes():
    for name in ("LedgervalError", "InvalidArgument", "InvalidType", "NativeMisuse"):
        assert getattr(errors, name) is getattr(nerrors, name)
    assert ledgerval.InvalidArgument is nerrors.InvalidArgument
    assert issubclass(nerrors.NativeMisuse, nerrors.InvalidArgument)
    assert issubclass(nerrors.NativeMisuse, ValueError) and issubclass(nerrors.NativeMisuse, ledgerval.LedgervalError)


def test_every_family_raises_native_misuse_for_a_misuse_code():
    from ledgerval.native import _wei3, ed25519, hashes, secp256k1

    lib = native.lib
    checks = [hashes._check, secp256k1._check, lambda rc: _wei3.check_rc(rc, "p256 verify"),
              lambda rc: _wei3.check_rc(rc, "sm2 verify"), ed25519._check]
    codes = {name: getattr(lib, name) for name in ("LV_EMISUSE", "LV_EBADALGO", "LV_EBADPATH", "LV_EBADOFFSETS",
                                                   "LV_EBADSLOT", "LV_ESCRATCH")}
    assert lib.LV_OK == 0 and len(set(codes.values())) == len(codes) and all(v < 0 for v in codes.values())
    for check in checks:
        for name, rc in codes.items():
            with pytest.raises(nerrors.NativeMisuse, match=name):
                check(rc)
        with pytest.raises(nerrors.NativeMisuse, match="code -99"):
            check(-99)
        assert check(lib.LV_OK) is None


def test_one_set_of_return_codes_in_c():
    """No family keeps its own misuse codes: native/src/lv_status.h is the one place they are defined."""
    src = Path(native.__file__).resolve().parent / "src"
    own = [(f.name, m) for f in sorted(src.glob("*.[ch]")) if f.name != "lv_status.h"
           for m in re.findall(r"#define\s+(LV_\w*_(?:OK|E[A-Z]+|ERR_\w+))\b", f.read_text())]
    assert not own, own


def test_a_real_misuse_code_from_c():
    from ledgerval.native import hashes

    out = np.zeros((1, 32), dtype=np.uint8)
    with pytest.raises(nerrors.NativeMisuse, match="not available"):
        hashes.hash_spans("sm3", np.zeros(3, np.uint8), np.array([0, 3], np.int64), out, "shani")

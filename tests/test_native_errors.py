"""One set of exceptions from the bottom layer up: native/errors.py defines them, ledgerval.errors
re-exports the same classes, and every native family turns a misuse return code into ``NativeMisuse``."""
from __future__ import annotations

import numpy as np
import pytest

import ledgerval
from ledgerval import errors
from ledgerval import native
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
    cases = [
        (hashes._check, lib.LV_HASH_EBADOFFSETS),
        (hashes._check, lib.LV_HASH_EBADPATH),
        (secp256k1._check, lib.LV_SECP256K1_ERR_NULL),
        (lambda rc: _wei3.check_rc(rc, "p256 verify"), lib.LV_P256_EMISUSE),
        (lambda rc: _wei3.check_rc(rc, "sm2 verify"), lib.LV_SM2_EMISUSE),
        (ed25519._check, lib.LV_ED25519_EINVAL),
        (ed25519._check, lib.LV_ED25519_ESCRATCH),
    ]
    for check, rc in cases:
        with pytest.raises(nerrors.NativeMisuse):
            check(rc)
    for check, ok in [(hashes._check, lib.LV_HASH_OK), (secp256k1._check, lib.LV_SECP256K1_OK),
                      (ed25519._check, lib.LV_ED25519_OK)]:
        assert check(ok) is None


def test_a_real_misuse_code_from_c():
    from ledgerval.native import hashes

    out = np.zeros((1, 32), dtype=np.uint8)
    with pytest.raises(nerrors.NativeMisuse, match="not available"):
        hashes.hash_spans("sm3", np.zeros(3, np.uint8), np.array([0, 3], np.int64), out, "shani")

"""``ledgerval.signatures.paths()`` reports the path each scheme takes at every tier this machine has, by the
same CPU checks the native families make."""
from __future__ import annotations

import pytest

from ledgerval import signatures
from ledgerval.native import _wei3, tier_mask, tiers_available

SCHEMES = ("ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2")


@pytest.mark.parametrize("tier", tiers_available())
def test_paths_at_every_tier(tier):
    with tier_mask(tier):
        got = signatures.paths()
        ifma = _wei3.lanes_outrun_tables()  # the wrappers' own IFMA check
    assert set(got) == set(SCHEMES)
    if tier == "avx512-ifma":
        assert set(got.values()) == {"native-ifma"} and ifma
    elif tier == "portable":
        assert set(got.values()) == {"native-portable"} and not ifma
    else:  # AVX-512 without IFMA, AVX2: BMI2/ADX field code for the a = -3 curves, secp256k1 and Ed25519
        # (with Ed25519's AVX2 decoder)
        assert got == {"ecdsa-secp256k1": "native-adx", "ecdsa-p256": "native-adx",
                       "ed25519": "native-adx", "sm2": "native-adx"}
        assert not ifma


def test_paths_without_the_native_kernels(monkeypatch):
    monkeypatch.setattr(signatures, "native_backend", lambda scheme: None)
    assert signatures.paths() == {s: "reference" for s in SCHEMES}


def test_secp256k1_path_is_the_dispatchers_own():
    from ledgerval.native import has, lib

    if not has("lv_secp256k1_best_path"):
        pytest.skip("this build has no secp256k1 dispatch table")
    for tier in tiers_available():
        with tier_mask(tier):
            best = lib.lv_secp256k1_best_path()
            want = ("native-ifma" if best == lib.LV_SECP256K1_PATH_IFMA8 else
                    "native-adx" if best == lib.LV_SECP256K1_PATH_ADX else "native-portable")
            assert signatures.paths()["ecdsa-secp256k1"] == want, tier

"""Every signature family picks its code path from one measured table in C (lv_<family>_best_path, shaped
like hash.c's PATH_ORDER and resolve()), and the choice follows the CPU tier: ``tier_mask`` in process and
LEDGERVAL_CPU_FEATURES at import."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ledgerval import native
from ledgerval.errors import InvalidArgument

pytestmark = pytest.mark.skipif(not all(native.has(f"lv_{f}_best_path") for f in native.FAMILY_PATHS),
                                reason="native module not built")

TIERS = native.tiers_available()


def _expected(family: str, tier: str) -> str:
    """The path each tier must give: IFMA lanes only at the top tier; the wei3 curves' and secp256k1's
    MULX/ADX field at every tier that keeps BMI2 and ADX (all but portable, where the CPU has them); Ed25519's
    AVX2 decoder at every tier that keeps AVX2, with its MULX/ADX field where the tier keeps BMI2 and ADX."""
    if tier == "avx512-ifma":
        return "ifma8"
    feats = native.cpu_features()
    if family in ("p256", "sm2", "secp256k1") and feats["BMI2"] and feats["ADX"]:
        return "adx"
    if family == "ed25519" and tier != "portable" and feats["AVX2"]:
        return "adx" if feats["BMI2"] and feats["ADX"] else "avx2"
    return "scalar" if family == "secp256k1" else "portable"


def test_path_names_match_the_c_constants():
    for family, paths in native.FAMILY_PATHS.items():
        for i, name in enumerate(paths):
            assert getattr(native.lib, f"LV_{family.upper()}_PATH_{name.upper()}") == i


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("family", sorted(native.FAMILY_PATHS))
def test_best_path_follows_the_tier(family, tier):
    with native.tier_mask(tier):
        best = native.best_path(family)
        assert best == _expected(family, tier)
        paths = native.FAMILY_PATHS[family]
        assert native.path_ok(family, best)
        # the fallback path is always there, and IFMA only where the tier keeps it
        assert native.path_ok(family, paths[0])
        assert native.path_ok(family, "ifma8") == (tier == "avx512-ifma")


def test_unknown_family_or_path_is_misuse():
    with pytest.raises(InvalidArgument):
        native.best_path("rsa")
    with pytest.raises(InvalidArgument):
        native.path_ok("p256", "avx2")
    assert native.lib.lv_p256_path_ok(99) == 0 and native.lib.lv_ed25519_path_ok(-1) == 0


@pytest.mark.skipif("avx2" not in TIERS, reason="this CPU has no AVX2 tier")
def test_env_cap_at_import_reaches_every_family():
    code = ("from ledgerval import native; print(' '.join(native.best_path(f) for f in sorted(native.FAMILY_PATHS)))")
    env = dict(os.environ, LEDGERVAL_CPU_FEATURES="SSE41,AVX2,BMI2,ADX,SHA")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    got = dict(zip(sorted(native.FAMILY_PATHS), out.stdout.split()))
    with native.tier_mask("avx2"):
        assert got == {f: native.best_path(f) for f in native.FAMILY_PATHS}
    assert "ifma8" not in got.values()

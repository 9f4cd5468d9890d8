"""``kernels.fabric_der`` against the scalar DER decoder (``fabric.der.decode_ecdsa_sig``); the hypothesis
comparisons of every batch path are in test_fabric_fuzz.py."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ledgerval.kernels.fabric_der import P256_HALF_N, decode_ecdsa_der

der = pytest.importorskip("ledgerval.fabric.der")


def _spans(sigs):
    offsets = np.zeros(len(sigs) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sigs], out=offsets[1:])
    return np.frombuffer(b"".join(sigs), dtype=np.uint8).copy(), offsets


def test_a_mixed_batch_equals_the_scalar_decoder():
    rnd = random.Random(7)
    print("seed 7")
    half = int.from_bytes(P256_HALF_N, "big")
    sigs = []
    for _ in range(500):
        s = der.encode_ecdsa_sig(rnd.getrandbits(rnd.choice((1, 8, 255, 256))),
                                 rnd.choice((half, half + 1, rnd.getrandbits(256))))
        op = rnd.random()
        sigs.append(s if op < 0.6 else s[:rnd.randrange(len(s) + 1)] if op < 0.8
                    else bytes(b ^ (rnd.random() < 0.05) * rnd.randrange(256) for b in s))
    out, ok, high = decode_ecdsa_der(*_spans(sigs))
    for i, s in enumerate(sigs):
        try:
            r, t = der.decode_ecdsa_sig(s)
        except ValueError:
            assert not ok[i] and not high[i] and not out[i].any()
            continue
        assert ok[i] and out[i].tobytes() == r.to_bytes(32, "big") + t.to_bytes(32, "big")
        assert high[i] == (t > half)
    assert 0 < ok.sum() < len(sigs) and 0 < high.sum()


def test_arguments_are_checked():
    with pytest.raises(TypeError):
        decode_ecdsa_der(np.zeros(4, dtype=np.int8), np.zeros(1, dtype=np.int64))
    with pytest.raises(ValueError):
        decode_ecdsa_der(np.zeros(4, dtype=np.uint8), np.array([0, 9], dtype=np.int64))
    out, ok, high = decode_ecdsa_der(np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
    assert out.shape == (0, 64) and ok.shape == high.shape == (0,)

"""ledgerval.kernels.secp256k1_keys.decompress_batch: compressed secp256k1 keys to x || y, against
coincurve (libsecp256k1) and Python integers, with keys that are not on the curve."""
from __future__ import annotations

import numpy as np
import pytest

from ledgerval.kernels.secp256k1_keys import CHUNK, PARALLEL_MIN, decompress_batch

P = (1 << 256) - 0x1000003D1
G_X = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798


def py_decompress(key: bytes) -> bytes | None:
    x = int.from_bytes(key[1:], "big")
    if key[0] not in (2, 3) or x >= P:
        return None
    y = pow((x ** 3 + 7) % P, (P + 1) // 4, P)
    if y * y % P != (x ** 3 + 7) % P:
        return None
    if y & 1 != key[0] & 1:
        y = P - y
    return key[1:] + y.to_bytes(32, "big")


def check(keys: list[bytes]) -> None:
    arr = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 33)
    out, ok = decompress_batch(arr)
    for i, k in enumerate(keys):
        want = py_decompress(k)
        assert bool(ok[i]) == (want is not None), k.hex()
        assert out[i].tobytes() == (want or bytes(64)), k.hex()


def test_against_coincurve():
    coincurve = pytest.importorskip("coincurve")
    seed = 1234
    rng = np.random.default_rng(seed)
    keys, full = [], []
    for _ in range(2 * CHUNK + 5):   # a ragged last chunk
        k = coincurve.PrivateKey(rng.bytes(32))
        keys.append(k.public_key.format(True))
        full.append(k.public_key.format(False)[1:])
    out, ok = decompress_batch(np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 33))
    assert ok.all()
    assert [o.tobytes() for o in out] == full, f"seed {seed}"


def test_edge_values_and_bad_keys():
    keys = [
        b"\x02" + G_X.to_bytes(32, "big"), b"\x03" + G_X.to_bytes(32, "big"),
        b"\x02" + (P - 1).to_bytes(32, "big"), b"\x03" + (1).to_bytes(32, "big"),
        b"\x02" + P.to_bytes(32, "big"),                 # x = p: not a field element
        b"\x02" + ((1 << 256) - 1).to_bytes(32, "big"),
        b"\x04" + G_X.to_bytes(32, "big"), b"\x00" * 33,  # bad prefixes
        b"\x02" + (0).to_bytes(32, "big"),               # 7 is not a square mod p
    ]
    rng = np.random.default_rng(99)
    keys += [bytes((2 + int(rng.integers(2)),)) + rng.bytes(32) for _ in range(40)]  # about half on the curve
    check(keys)


def test_empty_and_misuse():
    out, ok = decompress_batch(np.zeros((0, 33), dtype=np.uint8))
    assert out.shape == (0, 64) and ok.shape == (0,)
    with pytest.raises(TypeError):
        decompress_batch(np.zeros((2, 65), dtype=np.uint8))
    with pytest.raises(TypeError):
        decompress_batch([b"\x02" * 33])


def test_parallel_kernel_equals_the_serial_one():
    from ledgerval import kernels

    rng = np.random.default_rng(5)
    keys = np.zeros((PARALLEL_MIN + 37, 33), dtype=np.uint8)
    keys[:, 0] = 2 + rng.integers(0, 2, size=keys.shape[0])
    keys[:, 1:] = rng.integers(0, 256, size=(keys.shape[0], 32))
    kernels.set_threads(2)
    out, ok = decompress_batch(keys)                      # the prange kernel
    parts = [decompress_batch(keys[i:i + 500]) for i in range(0, keys.shape[0], 500)]   # the serial one
    assert np.array_equal(out, np.concatenate([p[0] for p in parts]))
    assert np.array_equal(ok, np.concatenate([p[1] for p in parts])) and 0 < ok.sum() < ok.size


def test_four_at_a_time_equals_one_at_a_time_in_every_slot():
    """The kernel takes keys four at a time (interleaved square roots) and the rest one at a time: a bad key
    in any slot of a group, or in the tail, changes nothing for its neighbours."""
    seed = 77
    rng = np.random.default_rng(seed)
    good = b"\x03" + G_X.to_bytes(32, "big")
    bad = [b"\x04" + G_X.to_bytes(32, "big"), b"\x02" + P.to_bytes(32, "big"), b"\x02" + bytes(32)]
    mixed = [good if rng.random() < 0.5 else bad[int(rng.integers(3))] for _ in range(4 * 9 + 3)]
    mixed += [bytes((2 + int(rng.integers(2)),)) + rng.bytes(32) for _ in range(27)]
    rng.shuffle(mixed)
    arr = np.frombuffer(b"".join(mixed), dtype=np.uint8).reshape(-1, 33)
    out, ok = decompress_batch(arr)
    for i in range(arr.shape[0]):
        o1, k1 = decompress_batch(arr[i:i + 1])
        assert (bool(ok[i]), out[i].tobytes()) == (bool(k1[0]), o1[0].tobytes()), f"seed {seed}, key {i}"
    check(mixed)

"""Native Ed25519 on small-order and mixed-order points (the cofactored equation's edge), and the group
layer against the affine model of tests/test_native_ed25519.py, at every kernel path."""
from __future__ import annotations

import random

import numpy as np
import pytest
from test_native_ed25519 import (
    BASE,
    SEED,
    TORSION,
    L,
    O,
    P,
    all_methods,
    corrupt,
    cpu_path,
    m_add,
    m_dec,
    m_enc,
    m_mul,
    model_sign,
    model_verify,
    pack,
    random_case,
    rows,
    run,
)

from ledgerval.native import ed25519 as E

pytestmark = pytest.mark.skipif(not E.AVAILABLE, reason="native ed25519 kernels not built")
_ = cpu_path  # the fixture, by name

# ---- small-order and mixed-order points ---------------------------------------------------------------

def torsion_cases():
    """(name, pk, msg, sig) built on the model; the verdict is the model's cofactored policy."""
    rng = random.Random(SEED + 4)
    out = []
    msg = b"torsion"
    for i, t in enumerate(TORSION):
        enc = m_enc(t)
        # A and R both of small order with S = 0: [8]0B = [8]R + [8]kA holds.
        out.append((f"small A,R #{i}", enc, msg, m_enc(TORSION[(i + 3) % 8]) + bytes(32)))
        # Small-order A, S = 1: fails ([8]B != O).
        out.append((f"small A, S=1 #{i}", enc, msg, m_enc(TORSION[i]) + (1).to_bytes(32, "little")))
    for i in range(1, 8, 3):
        seed = rng.randbytes(32)
        out.append((f"mixed R #{i}", *_pk_msg_sig(model_sign(seed, msg, r_extra=TORSION[i]), msg)))
        out.append((f"mixed A #{i}", *_pk_msg_sig(model_sign(seed, msg, a_extra=TORSION[i]), msg)))
        out.append((f"mixed A,R #{i}", *_pk_msg_sig(model_sign(seed, msg, TORSION[i], TORSION[7 - i]), msg)))
        pk, sig = model_sign(seed, msg, r_extra=TORSION[i])
        out.append((f"mixed R, bad S #{i}", pk, msg, sig[:32] + ((int.from_bytes(sig[32:], "little") + 1) % L).to_bytes(32, "little")))
        out.append((f"mixed R, other msg #{i}", pk, msg + b"!", sig))
    # Non-canonical encodings of small-order points: y = p + small, and x = 0 with the sign bit.
    out.append(("R = (0,1) with sign bit", m_enc(TORSION[2]), msg, (1 | 2**255).to_bytes(32, "little") + bytes(32)))
    out.append(("A = (0,-1) with sign bit", ((P - 1) | 2**255).to_bytes(32, "little"), msg, m_enc(O) + bytes(32)))
    out.append(("R y = p + 1 (non-canonical identity)", m_enc(TORSION[4]), msg, (P + 1).to_bytes(32, "little") + bytes(32)))
    out.append(("A y = p (non-canonical y = 0)", P.to_bytes(32, "little"), msg, m_enc(O) + bytes(32)))
    return out


def _pk_msg_sig(pk_sig, msg):
    return pk_sig[0], msg, pk_sig[1]


def test_torsion_cases_single_batch_model_agree(cpu_path):
    cases = torsion_cases()
    names, keys, msgs, sigs = zip(*cases)
    got = all_methods(keys, msgs, sigs)
    want = [model_verify(k, m, s) for k, m, s in zip(keys, msgs, sigs)]
    assert [n for n, g, w in zip(names, got, want) if g != w] == []
    verdict = dict(zip(names, got))
    assert verdict["mixed R #1"] and verdict["mixed A #4"] and verdict["small A,R #0"]
    assert not verdict["mixed R, bad S #1"] and not verdict["R = (0,1) with sign bit"]
    assert not verdict["R y = p + 1 (non-canonical identity)"]
    # Mixed into a batch of good signatures: the same verdicts at the same places.
    rng = random.Random(SEED + 5)
    seeds, gmsgs = zip(*[random_case(rng) for _ in range(40)])
    buf, offs = pack(gmsgs)
    gkeys = [bytes(r) for r in E.pubkeys(rows(seeds, 32))]
    gsigs = [bytes(r) for r in E.sign(rows(seeds, 32), buf, offs)]
    items = [(k, m, s, w) for k, m, s, w in zip(keys, msgs, sigs, want)] + [(k, m, s, True) for k, m, s in zip(gkeys, gmsgs, gsigs)]
    rng.shuffle(items)
    k, m, s, w = zip(*items)
    assert np.array_equal(all_methods(k, m, s), np.array(w))


def test_repeat_signers_tampered_at_every_position(cpu_path):
    """Signers repeat within a batch (the batch equation gives a key one term for all its items): a bad item
    at each position, and each bad item kind, is exactly the item reported, at every thread count."""
    rng = random.Random(SEED + 12)
    print("seed", SEED + 12)
    signers = [rng.randbytes(32) for _ in range(5)]
    seeds = [signers[i % 5] if i % 7 else signers[rng.randrange(5)] for i in range(30)]
    msgs = [rng.randbytes(rng.choice([0, 32, 100])) for _ in seeds]
    buf, offs = pack(msgs)
    keys = [bytes(r) for r in E.pubkeys(rows(seeds, 32))]
    sigs = [bytes(r) for r in E.sign(rows(seeds, 32), buf, offs)]
    assert all_methods(keys, msgs, sigs).all()
    for pos in range(len(keys)):
        k, m, s = list(keys), list(msgs), list(sigs)
        k[pos], m[pos], s[pos] = corrupt(rng, k[pos], m[pos], s[pos])
        want = [i != pos for i in range(len(keys))]
        for threads in (1, 2, 3, 4):
            got = run(k, m, s, "batch", threads=threads, batch_size=16 if pos % 2 else E.BATCH_SIZE)
            assert got.tolist() == want, (pos, threads)


def test_torsion_keys_repeated_in_a_batch(cpu_path):
    """Mixed- and small-order keys (and R) appearing several times in one batch keep the model's verdicts."""
    names, keys, msgs, sigs = zip(*(torsion_cases() * 3))
    want = [model_verify(k, m, s) for k, m, s in zip(keys[:len(keys) // 3], msgs, sigs)] * 3
    order = list(range(len(keys)))
    random.Random(SEED + 13).shuffle(order)
    got = all_methods([keys[i] for i in order], [msgs[i] for i in order], [sigs[i] for i in order])
    assert got.tolist() == [want[i] for i in order]


def test_torsion_cases_reference_agrees():
    ref = pytest.importorskip("ledgerval.reference.ed25519")
    for name, pk, msg, sig in torsion_cases():
        assert ref.verify(pk, msg, sig) == model_verify(pk, msg, sig), name


# ---- group layer against the model ---------------------------------------------------------------------

def test_group_layer_against_model():
    rng = random.Random(SEED + 6)
    pts = list(TORSION) + [m_add(m_mul(rng.randrange(1, L), BASE), TORSION[rng.randrange(8)]) for _ in range(6)]
    for pt in pts:
        enc = m_enc(pt)
        assert E._test_ge(0, enc) == (1, enc)
        assert E._test_ge(3, enc)[1] == m_enc(m_mul(8, pt))
        # runs of ones and zeros across the 64-bit limb boundaries exercise the wNAF recoding's skipping
        runs = [2**64 - 1, 2**128 - 1, ((2**200 - 1) << 40) % 2**253, 2**63, 2**127 + 2**64 - 1, 2**192 + 2**191,
                (2**253 - 1) ^ (2**64 + 2**128), 2**252 - 2**190]
        for s in [0, 1, 2, 7, 8, L - 1, L, L + 3, 2**253 - 1, rng.getrandbits(253)] + runs:
            want = m_enc(m_mul(s, pt))
            assert E._test_ge(1, enc, s.to_bytes(32, "little"))[1] == want, s
            assert E._test_ge(5, enc, s.to_bytes(32, "little"))[1] == want, s
        other = pts[rng.randrange(len(pts))]
        assert E._test_ge(4, enc, m_enc(other))[1] == m_enc(m_add(pt, other))
    for s in [0, 1, 2, 63, 64, 127, 128, L - 1, L, 2**256 - 1, rng.getrandbits(256), 2**128 - 1, 2**252 - 2**190, 2**200 - 1]:
        assert E._test_ge(2, bytes(32), s.to_bytes(32, "little"))[1] == m_enc(m_mul(s % L, BASE))
    for y in range(0, 64):
        for sign in (0, 1):
            enc = (y | (sign << 255)).to_bytes(32, "little")
            pt = m_dec(enc)
            assert E._test_ge(0, enc) == ((1, m_enc(pt)) if pt else (0, bytes(32))), (y, sign)
    for y in (P, P + 1, P + 18, 2**255 - 1):
        assert E._test_ge(0, y.to_bytes(32, "little"))[0] == 0

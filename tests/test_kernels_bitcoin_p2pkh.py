"""kernels/bitcoin_p2pkh.py: RIPEMD-160 against the published vectors and pycryptodome, and the P2PKH kernel
against the Python code it stands in for (legacy sighash preimages, lax DER, HASH160) on block 277647 and on
made-up inputs.  Its agreement with the whole adapter, report for report, is in test_bitcoin_fastpath.py."""
from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerval.bitcoin.build import pubkey, ser_tx, sign
from ledgerval.bitcoin.der import parse_der_lax
from ledgerval.bitcoin.script import hash160, hash160_spans, p2pkh_script, push_script
from ledgerval.bitcoin.sighash import legacy_preimage, legacy_sighash
from ledgerval.bitcoin.wire import parse_block, parse_transaction
from ledgerval.kernels.bitcoin_p2pkh import hash160_numba, p2pkh_all_batch, ripemd160_batch
from conftest import vector_file

SEED = 20261128

# Dobbertin, Bosselaers, Preneel, "RIPEMD-160: A Strengthened Version of RIPEMD", test vectors
RIPEMD160_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b"),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "b0e20b6e3116640286ed3a87a5713079b21f5189"),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
]


def _spans(msgs):
    offsets = np.zeros(len(msgs) + 1, dtype=np.int64)
    np.cumsum([len(m) for m in msgs], out=offsets[1:])
    return np.frombuffer(b"".join(msgs) or b"\0", dtype=np.uint8), offsets


def test_ripemd160_published_vectors():
    buf, offsets = _spans([m for m, _ in RIPEMD160_VECTORS])
    got = ripemd160_batch(buf, offsets)
    assert [g.tobytes().hex() for g in got] == [h for _, h in RIPEMD160_VECTORS]


def test_ripemd160_against_pycryptodome():
    """Every length 0..200 (each padding boundary) and a few long ones, random bytes."""
    RIPEMD160 = pytest.importorskip("Crypto.Hash.RIPEMD160")
    rng = random.Random(SEED)
    print("seed", SEED)
    msgs = [rng.randbytes(n) for n in list(range(201)) + [1000, 4096, 10007]]
    got = ripemd160_batch(*_spans(msgs))
    for m, g in zip(msgs, got):
        assert g.tobytes() == RIPEMD160.new(m).digest(), len(m)


def _reference(raw: bytes, tx, k: int, spk: bytes):
    """What the Python path computes for an input the kernel takes: preimage, r||s, key."""
    ss = tx.vin[k].script_sig
    sig, key = ss[1 : 1 + ss[0]], ss[2 + ss[0] :]
    return legacy_preimage(tx, k, spk, 1, clean=True), parse_der_lax(sig[:-1]), key


def _run(raw: bytes, blk, cands, native=False):
    """The kernel over (transaction index, input index, scriptPubKey) candidates of a parsed block, run with
    the Numba HASH160 and with the native one, which must agree (``native=True``: the native one alone)."""
    ends = block_ends(blk)
    lo = np.array([ends[t] - len(blk.txs[t].raw) for t, _, _ in cands], dtype=np.int64)
    hi = np.array([ends[t] for t, _, _ in cands], dtype=np.int64)
    kin = np.array([k for _, k, _ in cands], dtype=np.int64)
    spk = np.frombuffer(b"".join(s for _, _, s in cands), dtype=np.uint8).reshape(-1, 25)
    out = p2pkh_all_batch(np.frombuffer(raw, dtype=np.uint8), lo, hi, kin, spk, native=native)
    if not native:
        other = p2pkh_all_batch(np.frombuffer(raw, dtype=np.uint8), lo, hi, kin, spk, native=True)
        ok, pre, pre_off, *rest = out
        ok2, pre2, pre_off2, *rest2 = other
        assert np.array_equal(ok, ok2) and np.array_equal(pre_off, pre_off2)
        assert np.array_equal(pre[: pre_off[-1]], pre2[: pre_off[-1]])
        for a, b in zip(rest, rest2):  # r||s, key position and length where taken
            assert np.array_equal(a[ok == 1], b[ok == 1])
    return out


def block_ends(blk):
    return np.cumsum([len(tx.raw) for tx in blk.txs]) + blk.tx_start


def test_block_277647_every_input_as_the_python_path_reads_it():
    raw = vector_file("bitcoin", "block277647.raw").read_bytes()
    from ledgerval.bitcoin import load_prevouts

    prevouts = load_prevouts(vector_file("bitcoin", "block277647_prevouts.jsonl"))
    blk = parse_block(raw)
    cands = [(ti, k, prevouts[(t.prev_hash[::-1].hex(), t.prev_n)][1])
             for ti, tx in enumerate(blk.txs[1:], 1) for k, t in enumerate(tx.vin)]
    assert len(cands) == 732
    ok, pre, pre_off, rs, key_pos, key_len = _run(raw, blk, cands)
    assert ok.sum() >= 700  # the rest (other hash types or DER shapes) are the Python path's
    for i, (ti, k, spk) in enumerate(cands):
        if not ok[i]:
            assert pre_off[i] == pre_off[i + 1]
            continue
        want_pre, want_rs, want_key = _reference(raw, blk.txs[ti], k, spk)
        assert pre[pre_off[i] : pre_off[i + 1]].tobytes() == want_pre
        assert rs[i].tobytes() == want_rs
        assert raw[key_pos[i] : key_pos[i] + key_len[i]] == want_key


_SECRET = 0xB17C
_KEYS = [pubkey(_SECRET), pubkey(_SECRET, compressed=False)]


def _strict_shape(sig: bytes) -> bool:
    """Short-form DER with r and s of at most 32 bytes (33 with a zero pad byte): the kernel's shape."""
    if len(sig) < 9 or sig[0] != 0x30 or sig[1] >= 0x80 or sig[2] != 2 or sig[3] > 33 or (sig[3] == 33 and sig[4]):
        return False
    p = 4 + sig[3]
    if not (p + 2 <= len(sig) - 1 and sig[p] == 2):
        return False
    sl = sig[p + 1]
    return (sl < 33 or (sl == 33 and sig[p + 2] == 0)) and p + 2 + sl == len(sig) - 1


def _short_der(sig: bytes, rng_bytes: bytes) -> bytes:
    """``sig`` with r, or s, or both replaced by short values (0-31 bytes, leading zeros kept): they parse
    (and never verify), and the kernel must read them as the lax reader does."""
    ht = sig[-1]
    rl = sig[3]
    r, s = sig[4:4 + rl], sig[6 + rl:-1]
    k = rng_bytes[0] % 3
    short = rng_bytes[1:1 + rng_bytes[0] % 32]
    r, s = (short if k != 1 else r), (short if k != 0 else s)
    inner = b"\x02" + bytes((len(r),)) + r + b"\x02" + bytes((len(s),)) + s
    return b"\x30" + bytes((len(inner),)) + inner + bytes((ht,))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_made_up_inputs_taken_only_as_python_reads_them(data):
    """Random P2PKH spends, some broken (other hash types, key mismatches, odd DER, extra pushes, random
    scriptSigs and scriptPubKeys): whatever the kernel takes, it reads exactly as the Python path does, and
    a well-formed SIGHASH_ALL spend of the right key is always taken."""
    n = data.draw(st.integers(1, 4))
    prev = [(bytes([i + 7]) * 32, i) for i in range(n)]
    outs = [(5, p2pkh_script(bytes(20)))] * data.draw(st.integers(1, 3))
    unsigned = parse_transaction(ser_tx(1, [(h, i, b"", 0xFFFFFFFE) for h, i in prev], outs))
    spks, sss, plain = [], [], []
    for k in range(n):
        key = data.draw(st.sampled_from(_KEYS + [b"\x06" + _KEYS[1][1:], _KEYS[0][:-1]]))
        spk = p2pkh_script(hash160(key if data.draw(st.integers(0, 5)) else _KEYS[1]))
        if data.draw(st.integers(0, 9)) == 0:
            spk = data.draw(st.binary(min_size=25, max_size=25))
        ht = data.draw(st.sampled_from([1, 1, 1, 2, 0x81]))
        sig = sign(_SECRET, legacy_sighash(unsigned, k, spk, ht), ht, high_s=data.draw(st.booleans()))
        if data.draw(st.integers(0, 6)) == 0:
            sig = data.draw(st.binary(min_size=1, max_size=75))
        elif data.draw(st.integers(0, 4)) == 0:
            sig = _short_der(sig, data.draw(st.binary(min_size=33, max_size=33)))
        ss = push_script(sig) + push_script(key)
        if data.draw(st.integers(0, 6)) == 0:
            ss = data.draw(st.sampled_from([ss + b"\x51", push_script(sig), ss[:-1], push_script(spk[:3]) + ss]))
        plain.append(ht == 1 and key in _KEYS and spk == p2pkh_script(hash160(key))
                     and ss == push_script(sig) + push_script(key) and _strict_shape(sig))
        spks.append(spk)
        sss.append(ss)
    tx_raw = ser_tx(1, [(h, i, ss, 0xFFFFFFFE) for (h, i), ss in zip(prev, sss)], outs)
    raw = bytes(80) + b"\x01" + tx_raw
    blk = parse_block(raw)
    ok, pre, pre_off, rs, key_pos, key_len = _run(raw, blk, [(0, k, spks[k]) for k in range(n)])
    tx = blk.txs[0]
    for k in range(n):
        if plain[k]:
            assert ok[k]
        if ok[k]:
            want_pre, want_rs, want_key = _reference(raw, tx, k, spks[k])
            assert pre[pre_off[k] : pre_off[k + 1]].tobytes() == want_pre
            assert rs[k].tobytes() == want_rs
            assert raw[key_pos[k] : key_pos[k] + key_len[k]] == want_key
            assert hash160(want_key) == spks[k][3:23]


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=10, max_size=400), st.binary(min_size=25, max_size=25), st.integers(0, 5))
def test_garbage_never_taken_and_never_crashes(body, spk, k):
    """Random bytes as a transaction: the layout walk stays inside the span and declines."""
    raw = np.frombuffer(body, dtype=np.uint8)
    ok, pre, pre_off, *_ = p2pkh_all_batch(raw, np.array([0]), np.array([len(body)]), np.array([k]),
                                            np.frombuffer(spk, dtype=np.uint8).reshape(1, 25))
    assert pre_off[0] == 0 and pre_off[1] <= len(pre)
    assert not ok[0] or spk[:3] == b"\x76\xa9\x14"


def test_bad_arguments_raise_value_error():
    raw = np.zeros(100, dtype=np.uint8)
    spk = np.zeros((1, 25), dtype=np.uint8)
    with pytest.raises(ValueError):
        p2pkh_all_batch(raw, np.array([0]), np.array([200]), np.array([0]), spk)
    with pytest.raises(ValueError):
        p2pkh_all_batch(raw, np.array([0]), np.array([50]), np.array([0]), np.zeros((1, 24), dtype=np.uint8))
    with pytest.raises(ValueError):
        p2pkh_all_batch(raw.astype(np.int64), np.array([0]), np.array([50]), np.array([0]), spk)


def test_hash160_uses_sha256_then_ripemd160():
    """The composition the kernel checks keys with, against hashlib where it has RIPEMD-160."""
    try:
        hashlib.new("ripemd160")
    except ValueError:
        pytest.skip("hashlib lacks ripemd160")
    key = _KEYS[0]
    buf, offsets = _spans([hashlib.sha256(key).digest()])
    assert ripemd160_batch(buf, offsets)[0].tobytes() == hash160(key)


def test_hash160_numba_and_native_against_pycryptodome():
    """Both HASH160s the kernel can be given, on key-sized and other spans (empty ones included)."""
    RIPEMD160 = pytest.importorskip("Crypto.Hash.RIPEMD160")
    rng = random.Random(SEED + 1)
    msgs = [rng.randbytes(rng.choice([0, 1, 33, 55, 56, 64, 65, 119, 120, 300])) for _ in range(150)]
    buf, offsets = _spans(msgs)
    want = [RIPEMD160.new(hashlib.sha256(m).digest()).digest() for m in msgs]
    for h in (hash160_numba, hash160_spans):
        got = h(buf, offsets)
        assert got.shape == (len(msgs), 20)
        assert [g.tobytes() for g in got] == want

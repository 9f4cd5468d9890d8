"""Bad input to ledgerval.evm: every unreadable transaction, header or block is ``malformed`` (with the
transaction's index where there is one), input that is not a block at all raises a LedgervalError, and
nothing else escapes.  The JSON reader and the RLP path are fuzzed with hypothesis."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerval import evm
from ledgerval.errors import LedgervalError
from ledgerval.evm.header import header_from_json, withdrawal_from_json
from ledgerval.evm.rlp import enc_bytes, enc_list
from ledgerval.evm.tx import N, from_json
from conftest import VECTORS_DIR, VECTORS_SKIP

VECTORS = VECTORS_DIR / "ethereum"
FILE = VECTORS / "mainnet_block24476000.json"
if not FILE.exists():
    pytest.skip(VECTORS_SKIP, allow_module_level=True)

_BLOCK = json.loads(FILE.read_text())


def _small_block(n: int) -> dict:
    """The real block cut to its first n transactions, its root and hash made consistent again (so the fuzz
    loops stay quick and an unchanged copy passes)."""
    from Crypto.Hash import keccak

    from ledgerval.evm.trie import ordered_roots

    b = {**copy.deepcopy(_BLOCK), "transactions": copy.deepcopy(_BLOCK["transactions"][:n])}
    b["transactionsRoot"] = "0x" + ordered_roots([[from_json(t).encoded for t in b["transactions"]]])[0].hex()
    b["hash"] = "0x" + keccak.new(digest_bits=256, data=header_from_json(b).encoded).hexdigest()
    return b


_BLOCK_SMALL = _small_block(40)
LEGACY = next(i for i, t in enumerate(_BLOCK["transactions"]) if t["type"] == "0x0")
TYPED = next(i for i, t in enumerate(_BLOCK["transactions"]) if t["type"] == "0x2")
SETCODE = next(i for i, t in enumerate(_BLOCK["transactions"]) if t["type"] == "0x4")


def codes(rep):
    return sorted((e.code, e.tx_index) for e in rep.errors if e.tx_index is not None) + sorted(
        (e.code, None) for e in rep.errors if e.tx_index is None)


def with_tx(k: int, **changes) -> dict:
    b = copy.deepcopy(_BLOCK)
    for name, v in changes.items():
        if v is _DELETE:
            del b["transactions"][k][name]
        else:
            b["transactions"][k][name] = v
    return b


_DELETE = object()


@pytest.mark.parametrize("k,changes", [
    (TYPED, {"nonce": _DELETE}), (LEGACY, {"gasPrice": _DELETE}), (TYPED, {"accessList": _DELETE}),
    (TYPED, {"nonce": 5}), (TYPED, {"input": None}), (TYPED, {"to": 123}), (TYPED, {"accessList": "x"}),
    (TYPED, {"value": "0xzz"}), (TYPED, {"value": "0x 1"}), (TYPED, {"input": "0x123"}), (TYPED, {"value": "12"}),
    (TYPED, {"value": "0x"}), (TYPED, {"to": "0x1234"}), (TYPED, {"value": "0x1_0"}), (TYPED, {"value": True}),
    (TYPED, {"value": "0x1" + "0" * 64}), (TYPED, {"accessList": [1]}),
    (TYPED, {"accessList": [{"address": "0x" + "00" * 20, "storageKeys": ["0x12"]}]}),
    (SETCODE, {"authorizationList": [7]}), (SETCODE, {"to": None}),
    (TYPED, {"r": "0x0"}), (TYPED, {"s": "0x0"}), (TYPED, {"r": hex(N)}), (TYPED, {"s": hex(N + 5)}),
    (LEGACY, {"r": hex(1 << 256)}), (LEGACY, {"s": hex(N)}),
    (TYPED, {"type": "0x5"}), (TYPED, {"type": "0x7f"}), (TYPED, {"type": "0x100"}),
    (LEGACY, {"v": "0x1d"}), (LEGACY, {"v": "0x22"}), (TYPED, {"yParity": "0x2", "v": "0x2"}),
    (TYPED, {"yParity": "0x0", "v": "0x1"}),
])
def test_bad_transaction_is_malformed_at_its_index(k, changes):
    rep = evm.validate_block(with_tx(k, **changes))
    assert codes(rep) == [("malformed", k)], rep.errors
    assert not rep.ok and rep.tx_root_ok is None and rep.senders[k] is None


def test_small_block_fixture_is_valid():
    assert evm.validate_block(_BLOCK_SMALL).ok


def test_hashes_only_block_is_malformed_per_transaction():
    b = copy.deepcopy(_BLOCK_SMALL)
    b["transactions"] = [t["hash"] for t in b["transactions"]]
    rep = evm.validate_block(b)
    assert codes(rep) == [("malformed", i) for i in range(40)]


@pytest.mark.parametrize("change", [
    {"stateRoot": None}, {"number": "0xq"}, {"logsBloom": "0x00"}, {"nonce": "0x00"},
    {"parentBeaconBlockRoot": None}, {"baseFeePerGas": None}, {"withdrawals": None}, {"withdrawals": "x"},
    {"withdrawals": [{"index": "0x1"}]}, {"hash": "0x12"},
])
def test_bad_header_or_body_is_malformed_block(change):
    b = copy.deepcopy(_BLOCK_SMALL)
    for name, v in change.items():
        if v is None:
            del b[name]
        else:
            b[name] = v
    rep = evm.validate_block(b)
    assert [(e.code, e.tx_index) for e in rep.errors] == [("malformed", None)], rep.errors


@pytest.mark.parametrize("block", [42, [1, 2], "not json", "[1]", {"foo": 1}, {"transactions": "x"}, None, 1.5])
def test_not_a_block_raises_a_clear_error(block):
    with pytest.raises(LedgervalError):
        evm.validate_block(block)


@pytest.mark.parametrize("chain_id", [-1, "1", 1.0, True])
def test_bad_chain_id_option_raises(chain_id):
    with pytest.raises(LedgervalError):
        evm.validate_block(_BLOCK_SMALL, chain_id=chain_id)


# ---- RLP input -------------------------------------------------------------------------------------------

def rlp_block(txs: list[bytes] | None = None, wrap=enc_list) -> bytes:
    b = _BLOCK
    if txs is None:
        txs = [t.encoded if t.type == 0 else enc_bytes(t.encoded) for t in map(from_json, b["transactions"])]
    ws = b"".join(withdrawal_from_json(w) for w in b["withdrawals"])
    return wrap(header_from_json(b).encoded + enc_list(b"".join(txs)) + enc_list(b"") + enc_list(ws))


def _long_form_list(payload: bytes) -> bytes:
    """A list header with a leading zero in its length: non-canonical."""
    n = len(payload).to_bytes(4, "big")
    return bytes((0xF7 + 5,)) + b"\x00" + n + payload


def test_rlp_block_reads():
    assert evm.validate_block(rlp_block()).ok


@pytest.mark.parametrize("cut", [1, 2, 100, 5000])
def test_truncated_rlp_block_is_malformed(cut):
    rep = evm.validate_block(rlp_block()[:-cut])
    assert [(e.code, e.tx_index) for e in rep.errors] == [("malformed", None)]


def test_non_canonical_block_length_is_malformed():
    rep = evm.validate_block(rlp_block(wrap=_long_form_list))
    assert [(e.code, e.tx_index) for e in rep.errors] == [("malformed", None)] and "non-canonical" in rep.errors[0].detail


def _typed_items(k: int) -> list:
    from ledgerval.evm.rlp import decode

    return decode(from_json(_BLOCK["transactions"][k]).encoded[1:])


def _txs_with(k: int, raw: bytes) -> list[bytes]:
    txs = [t.encoded if t.type == 0 else enc_bytes(t.encoded) for t in map(from_json, _BLOCK["transactions"])]
    txs[k] = raw
    return txs


@pytest.mark.parametrize("how", ["wrapped_byte", "leading_zero", "unknown_type", "short_list", "empty"])
def test_bad_rlp_transaction_is_malformed_at_its_index(how):
    from ledgerval.evm.rlp import encode

    items = _typed_items(TYPED)
    if how == "wrapped_byte":      # nonce 5 written as 0x81 0x05
        items[1] = b"\x05"
        enc = encode(items).replace(b"\x05", b"\x81\x05", 1)
        payload = b"\x02" + enc
        assert payload != b"\x02" + encode(items)
    elif how == "leading_zero":
        items[1] = b"\x00\x05"
        payload = b"\x02" + encode(items)
    elif how == "unknown_type":
        payload = b"\x05" + encode(items)
    elif how == "short_list":
        payload = b"\x02" + encode(items[:5])
    else:
        payload = b""
    rep = evm.validate_block(rlp_block(_txs_with(TYPED, enc_bytes(payload))))
    assert codes(rep) == [("malformed", TYPED)], rep.errors


# ---- fuzzing ---------------------------------------------------------------------------------------------

def _only_clear_errors(block) -> evm.Report | None:
    try:
        return evm.validate_block(block, threads=1)
    except LedgervalError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    rep = _only_clear_errors(data)
    assert rep is None or not rep.ok


_RLP = rlp_block([t.encoded if t.type == 0 else enc_bytes(t.encoded)
                  for t in map(from_json, _BLOCK["transactions"][:20])])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_RLP) - 1), st.integers(0, 255), st.integers(0, 3))
def test_fuzz_mutated_rlp_block(pos, byte, how):
    data = bytearray(_RLP)
    if how == 0:
        data[pos] = byte
    elif how == 1:
        del data[pos:]
    elif how == 2:
        data.insert(pos, byte)
    else:
        del data[pos]
    _only_clear_errors(bytes(data))   # anything but a report or a LedgervalError fails


_JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 1 << 70), st.text(max_size=8),
                         st.from_regex(r"0x[0-9a-fA-F]{0,70}", fullmatch=True),
                         st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=3), st.none(),
                                                                                  max_size=2))
_TX_FIELDS = sorted({k for t in _BLOCK_SMALL["transactions"] for k in t})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 39), st.sampled_from(_TX_FIELDS), _JSON_VALUES)
def test_fuzz_json_transaction_fields(k, field, value):
    b = copy.deepcopy(_BLOCK_SMALL)
    b["transactions"][k][field] = value
    rep = _only_clear_errors(b)
    assert rep is not None     # a block with one odd transaction is still a block
    if rep.ok:
        # only an equivalent value (a quantity with leading zeros, a field the encoding does not use) passes
        orig = evm.validate_block(_BLOCK_SMALL)
        assert rep.tx_hashes == orig.tx_hashes and rep.senders == orig.senders


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([LEGACY, TYPED, SETCODE]), st.sampled_from(_TX_FIELDS + ["type", "yParity", "chainId"]),
       _JSON_VALUES)
def test_fuzz_fast_json_path_accepts_only_what_the_checked_path_accepts(k, field, value):
    from ledgerval.evm.tx import TxError, _from_json_checked, _from_json_fast

    t = copy.deepcopy(_BLOCK["transactions"][k])
    t[field] = value
    try:
        fast = _from_json_fast(t)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):   # what from_json falls back on
        return
    try:
        checked = _from_json_checked(t)
    except TxError as exc:
        raise AssertionError(f"the fast path accepted what the checked path refuses: {exc}") from None
    assert (fast.encoded, fast.signing, fast.hash, fast.sender, fast.chain_id) == (
        checked.encoded, checked.signing, checked.hash, checked.sender, checked.chain_id)


def test_fast_and_checked_json_paths_agree_on_the_real_block():
    from ledgerval.evm.tx import _from_json_checked, _from_json_fast

    for t in _BLOCK["transactions"]:
        a, b = _from_json_fast(t), _from_json_checked(t)
        assert (a.encoded, a.signing, a.r, a.s, a.y) == (b.encoded, b.signing, b.r, b.s, b.y)


_BLOCK_FIELDS = sorted(k for k in _BLOCK_SMALL if k != "transactions")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_BLOCK_FIELDS + ["withdrawals.0", "withdrawals.3.amount", "transactions.5.accessList",
                                        "transactions.0", "transactions.2.authorizationList"]), _JSON_VALUES)
def test_fuzz_json_block_fields(path, value):
    b = copy.deepcopy(_BLOCK_SMALL)
    *parents, last = path.split(".")
    target = b
    for k in parents:
        target = target[int(k)] if isinstance(target, list) else target[k]
    target[int(last) if isinstance(target, list) else last] = value
    rep = _only_clear_errors(b)
    # a changed header field passes only when it is equivalent (leading zeros) or outside the header's RLP
    assert rep is None or not rep.ok or (rep.header_hash_ok and rep.tx_root_ok)

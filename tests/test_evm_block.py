"""ledgerval.evm on real mainnet blocks (../shared/vectors/ethereum) and tampered copies, one per error code,
each error at its exact transaction index."""
from __future__ import annotations

import copy
import json

import pytest

from ledgerval import evm
from ledgerval.evm.header import header_from_json, withdrawal_from_json
from ledgerval.evm.rlp import enc_bytes, enc_list
from ledgerval.evm.tx import N, from_json
from conftest import VECTORS_DIR, VECTORS_SKIP

VECTORS = VECTORS_DIR / "ethereum"
FILES = [VECTORS / f"mainnet_block{n}.json" for n in (24476000, 24476001)]
if not all(p.exists() for p in FILES):
    pytest.skip(VECTORS_SKIP, allow_module_level=True)

P = (1 << 256) - 0x1000003D1
_BLOCKS = [json.loads(p.read_text()) for p in FILES]


def block(i: int = 0) -> dict:
    return copy.deepcopy(_BLOCKS[i])


def codes(rep) -> list[tuple[str, int | None]]:
    return sorted(((e.code, e.tx_index) for e in rep.errors), key=lambda c: (c[0], -1 if c[1] is None else c[1]))


def first_of_type(b: dict, ty: str) -> int:
    return next(i for i, t in enumerate(b["transactions"]) if t["type"] == ty)


def to_rlp(b: dict) -> bytes:
    """The block's RLP: [header, transactions (legacy as lists, typed as strings), ommers, withdrawals]."""
    txs = b"".join(t.encoded if t.type == 0 else enc_bytes(t.encoded) for t in map(from_json, b["transactions"]))
    ws = b"".join(withdrawal_from_json(w) for w in b["withdrawals"])
    return enc_list(header_from_json(b).encoded + enc_list(txs) + enc_list(b"") + enc_list(ws))


@pytest.mark.parametrize("i", [0, 1])
def test_real_blocks_validate(i):
    b = block(i)
    rep = evm.validate_block(b, threads=2)
    assert rep.ok and rep.errors == []
    assert rep.tx_root_ok and rep.withdrawals_root_ok and rep.header_hash_ok
    assert rep.fork == "prague" and rep.number == int(b["number"], 16)
    assert rep.header_hash.hex() == b["hash"][2:]
    assert rep.senders == [bytes.fromhex(t["from"][2:]) for t in b["transactions"]]
    assert rep.tx_hashes == [bytes.fromhex(t["hash"][2:]) for t in b["transactions"]]
    n_auth = sum(len(t.get("authorizationList", [])) for t in b["transactions"])
    assert rep.signatures_checked == len(b["transactions"]) + n_auth
    assert {int(t["type"], 16) for t in b["transactions"]} >= ({0, 2, 3, 4} if i == 0 else {0, 2})


def test_json_text_and_rpc_envelope_and_one_thread():
    text = FILES[0].read_text()
    assert evm.validate_block(text, threads=1).ok
    assert evm.validate_block(json.dumps({"jsonrpc": "2.0", "id": 1, "result": json.loads(text)})).ok
    assert evm.validate_block(text.encode()).ok


def test_authorization_signer_matches_coincurve():
    coincurve = pytest.importorskip("coincurve")
    from Crypto.Hash import keccak

    b = block(0)
    rep = evm.validate_block(b)
    k = first_of_type(b, "0x4")
    assert [(a.tx_index, a.auth_index) for a in rep.authorizations] == [(k, 0)]
    a = b["transactions"][k]["authorizationList"][0]
    payload = from_json(b["transactions"][k]).auths[0].signing
    sig = int(a["r"], 16).to_bytes(32, "big") + int(a["s"], 16).to_bytes(32, "big") + bytes((int(a["yParity"], 16),))
    digest = keccak.new(digest_bits=256, data=payload).digest()
    key = coincurve.PublicKey.from_signature_and_message(sig, digest, hasher=None).format(compressed=False)[1:]
    assert rep.authorizations[0].signer == keccak.new(digest_bits=256, data=key).digest()[12:]


def test_rlp_input_gives_the_same_hash_and_senders():
    b = block(0)
    rep = evm.validate_block(to_rlp(b))
    assert rep.ok and rep.header_hash_ok is None and rep.tx_root_ok and rep.withdrawals_root_ok
    assert rep.header_hash.hex() == b["hash"][2:]
    assert rep.senders == [bytes.fromhex(t["from"][2:]) for t in b["transactions"]]


def test_rlp_input_with_swapped_transactions_fails_the_root():
    b = block(0)
    b["transactions"][3], b["transactions"][4] = b["transactions"][4], b["transactions"][3]
    assert codes(evm.validate_block(to_rlp(b))) == [("bad_tx_root", None)]


# ---- tampered copies, one per code -------------------------------------------------------------------------

@pytest.mark.parametrize("ty", ["0x0", "0x2", "0x3", "0x4"])
def test_changed_value(ty):
    b = block(0)
    k = first_of_type(b, ty)
    b["transactions"][k]["value"] = hex(int(b["transactions"][k]["value"], 16) + 1)
    assert codes(evm.validate_block(b)) == [("bad_tx_hash", k), ("bad_tx_root", None), ("wrong_sender", k)]


@pytest.mark.parametrize("ty", ["0x0", "0x2"])
def test_changed_s(ty):
    b = block(1)
    k = first_of_type(b, ty)
    b["transactions"][k]["s"] = hex(int(b["transactions"][k]["s"], 16) - 1)
    got = codes(evm.validate_block(b))
    assert ("bad_tx_hash", k) in got and ("bad_tx_root", None) in got
    assert ("wrong_sender", k) in got or ("bad_signature", k) in got
    assert {i for _, i in got} == {k, None}


@pytest.mark.parametrize("ty", ["0x0", "0x2"])
def test_high_s_twin_recovers_the_same_sender(ty):
    b = block(0)
    k = first_of_type(b, ty)
    t = b["transactions"][k]
    t["s"] = hex(N - int(t["s"], 16))
    if ty == "0x0":
        v = int(t["v"], 16)
        t["v"] = hex(v + 1 if (v - 35) % 2 == 0 else v - 1)
    else:
        t["yParity"] = t["v"] = hex(1 - int(t["yParity"], 16))
    t["hash"] = "0x" + _keccak(from_json(t).encoded).hex()
    rep = evm.validate_block(b)
    assert codes(rep) == [("bad_tx_root", None), ("high_s", k)]
    assert rep.senders[k] == bytes.fromhex(t["from"][2:])


def _keccak(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=data).digest()


def test_swapped_transactions():
    b = block(1)
    txs = b["transactions"]
    txs[10], txs[11] = txs[11], txs[10]
    assert codes(evm.validate_block(b)) == [("bad_tx_root", None)]


@pytest.mark.parametrize("field", ["gasUsed", "timestamp", "parentBeaconBlockRoot", "requestsHash", "extraData"])
def test_changed_header_field(field):
    b = block(0)
    v = b[field]
    b[field] = v[:-1] + ("1" if v[-1] != "1" else "2")
    assert codes(evm.validate_block(b)) == [("bad_header_hash", None)]


def test_wrong_stated_hash():
    b = block(1)
    b["transactions"][7]["hash"] = "0x" + "11" * 32
    assert codes(evm.validate_block(b)) == [("bad_tx_hash", 7)]


def test_wrong_from():
    b = block(1)
    b["transactions"][9]["from"] = b["transactions"][8]["from"]
    assert b["transactions"][9]["from"] != _BLOCKS[1]["transactions"][9]["from"]
    assert codes(evm.validate_block(b)) == [("wrong_sender", 9)]


def test_chain_id_option():
    b = block(0)
    assert evm.validate_block(b, chain_id=1).ok
    rep = evm.validate_block(b, chain_id=5)
    expected = [i for i, t in enumerate(b["transactions"]) if t["type"] != "0x0" or int(t["v"], 16) >= 35]
    assert expected and codes(rep) == [("wrong_chain_id", i) for i in expected]


def test_changed_withdrawals():
    b = block(0)
    b["withdrawals"][3]["amount"] = hex(int(b["withdrawals"][3]["amount"], 16) + 1)
    rep = evm.validate_block(b)
    assert codes(rep) == [("bad_withdrawals_root", None)] and rep.withdrawals_root_ok is False


def _non_x(start: int) -> int:
    """The first r >= start with no curve point of that x: x^3 + 7 a non-residue mod p."""
    r = start
    while pow((r * r * r + 7) % P, (P - 1) // 2, P) == 1:
        r += 1
    return r


def test_r_that_recovers_no_key():
    b = block(1)
    k = 5
    t = b["transactions"][k]
    t["r"] = hex(_non_x(int(t["r"], 16)))
    t["hash"] = "0x" + _keccak(from_json(t).encoded).hex()
    rep = evm.validate_block(b)
    assert codes(rep) == [("bad_signature", k), ("bad_tx_root", None)] and rep.senders[k] is None


@pytest.mark.parametrize("tier", __import__("ledgerval.native", fromlist=["x"]).tiers_available())
def test_every_cpu_tier_gives_the_same_report(tier):
    from ledgerval.native import TIERS, cpu_mask, features_mask

    b = block(0)
    k = first_of_type(b, "0x2")
    b["transactions"][k]["value"] = hex(int(b["transactions"][k]["value"], 16) + 1)
    with cpu_mask(features_mask(TIERS[tier])):
        good = evm.validate_block(block(0), threads=2)
        bad = evm.validate_block(b, threads=1)
    assert good.ok and good.senders == [bytes.fromhex(t["from"][2:]) for t in _BLOCKS[0]["transactions"]]
    assert codes(bad) == [("bad_tx_hash", k), ("bad_tx_root", None), ("wrong_sender", k)]


@pytest.mark.parametrize("fork,drop", [
    ("cancun", ["requestsHash"]),
    ("shanghai", ["requestsHash", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot"]),
    ("london", ["requestsHash", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "withdrawalsRoot",
                "withdrawals"]),
    ("pre-london", ["requestsHash", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "withdrawalsRoot",
                    "withdrawals", "baseFeePerGas"]),
])
def test_earlier_fork_headers(fork, drop):
    """The same block with an earlier fork's header fields: the fork is recognised and the hash, recomputed
    here with pycryptodome over the fields of that fork, matches (as RLP input and as JSON)."""
    from ledgerval.evm.header import BASE, FORKS
    from ledgerval.evm.rlp import encode

    b = block(0)
    for name in drop:
        del b[name]
    names = [n for n, _ in BASE] + [n for f, g in FORKS for n, _ in g if n in b]

    def value(name, v):
        raw = bytes.fromhex(v[2:].rjust(len(v) - 2 + (len(v) & 1), "0"))
        return raw.lstrip(b"\0") if name in ("difficulty", "number", "gasLimit", "gasUsed", "timestamp",
                                             "baseFeePerGas", "blobGasUsed", "excessBlobGas") else raw

    b["hash"] = "0x" + _keccak(encode([value(n, b[n]) for n in names])).hex()
    rep = evm.validate_block(b)
    assert rep.ok and rep.fork == fork and rep.header_hash_ok, rep.errors
    assert rep.withdrawals_root_ok is (None if "withdrawals" in drop else True)
    txs = b"".join(t.encoded if t.type == 0 else enc_bytes(t.encoded) for t in map(from_json, b["transactions"]))
    tail = b"" if "withdrawals" in drop else enc_list(b"".join(withdrawal_from_json(w) for w in b["withdrawals"]))
    raw = enc_list(header_from_json(b).encoded + enc_list(txs) + enc_list(b"") + tail)
    rep = evm.validate_block(raw)
    assert rep.ok and rep.fork == fork and rep.header_hash.hex() == b["hash"][2:]


def test_a_later_fork_group_without_an_earlier_one_is_malformed():
    b = block(0)
    for name in ("blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot"):
        del b[name]
    rep = evm.validate_block(b)
    assert [(e.code, e.tx_index) for e in rep.errors] == [("malformed", None)] and "prague" in rep.errors[0].detail


@pytest.mark.parametrize("fmt", ["json", "rlp"])
def test_chunks_on_helpers_give_the_same_report_as_one_thread(fmt):
    """With threads > 1 the senders are recovered chunk by chunk on helpers while the block is read; errors
    in every chunk (its first and last transaction, a malformed one, a wrong sender, a high S) land at the
    same indexes with the same details as on one thread."""
    import sys

    from ledgerval.evm.senders import CHUNK

    b = block(0)
    assert len(b["transactions"]) > 2 * CHUNK
    for i in (0, CHUNK - 1, CHUNK, 2 * CHUNK + 1, len(b["transactions"]) - 1):
        b["transactions"][i]["value"] = hex(int(b["transactions"][i]["value"], 16) + 1)   # bad_tx_hash...
    b["transactions"][CHUNK + 3]["from"] = "0x" + "11" * 20
    t = b["transactions"][2 * CHUNK + 5]
    t["s"] = hex(N - int(t["s"], 16))
    key = "yParity" if "yParity" in t else "v"
    t[key] = hex(int(t[key], 16) ^ 1)
    if key == "yParity" and "v" in t:
        t["v"] = t["yParity"]
    data = to_rlp(b) if fmt == "rlp" else b
    if fmt == "json":
        b["transactions"][CHUNK + 1]["nonce"] = "0xzz"
    before = sys.getswitchinterval()
    one = evm.validate_block(data, threads=1).to_json()
    assert one["errors"] and not one["ok"]
    for threads in (2, 3):
        assert evm.validate_block(data, threads=threads).to_json() == one
    assert sys.getswitchinterval() == before   # the shorter interval lasts only while a block is read
    got = {(e["code"], e["tx_index"]) for e in one["errors"]}
    assert ("high_s", 2 * CHUNK + 5) in got
    if fmt == "json":   # RLP states no hashes and no `from`; the unreadable transaction leaves no tx root
        assert {("bad_tx_hash", CHUNK - 1), ("malformed", CHUNK + 1), ("wrong_sender", CHUNK + 3)} <= got
    else:
        assert ("bad_tx_root", None) in got

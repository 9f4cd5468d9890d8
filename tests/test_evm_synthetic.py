"""Transaction kinds the mainnet blocks lack (legacy before EIP-155, EIP-2930 with an access list, a contract
creation), signed with coincurve and encoded with the `rlp` package; and EIP-155's published example."""
from __future__ import annotations

import copy
import json

import pytest

from ledgerval import evm
from ledgerval.evm.tx import from_json
from conftest import VECTORS_DIR, VECTORS_SKIP

coincurve = pytest.importorskip("coincurve")
rlp = pytest.importorskip("rlp")
trie = pytest.importorskip("trie")

VECTORS = VECTORS_DIR / "ethereum"
FILE = VECTORS / "mainnet_block24476000.json"


def keccak(data: bytes) -> bytes:
    from Crypto.Hash import keccak as k

    return k.new(digest_bits=256, data=data).digest()


def test_eip155_published_example():
    # EIP-155's example: key 0x4646..46, nonce 9, 20 gwei, 21000 gas, to 0x3535..35, 1 ether, chain id 1
    t = {"type": "0x0", "nonce": "0x9", "gasPrice": hex(20 * 10**9), "gas": hex(21000), "to": "0x" + "35" * 20,
         "value": hex(10**18), "input": "0x", "v": "0x25",
         "r": hex(18515461264373351373200002665853028612451056578545711640558177340181847433846),
         "s": hex(46948507304638947509940763649030358759909902576025900602547168820602576006531)}
    tx = from_json(t)
    assert keccak(tx.signing).hex() == "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
    assert tx.encoded.hex() == (
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939"
        "bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b29"
        "7fb1966a3b6d83")
    assert tx.chain_id == 1 and tx.y == 0


def _sign(priv: coincurve.PrivateKey, payload: bytes) -> tuple[int, int, int]:
    sig = priv.sign_recoverable(keccak(payload), hasher=None)
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def _address(priv: coincurve.PrivateKey) -> str:
    return "0x" + keccak(priv.public_key.format(compressed=False)[1:])[12:].hex()


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def synthetic_txs() -> tuple[list[dict], list[bytes]]:
    """(JSON transactions, their signed encodings made by the rlp package)."""
    key = coincurve.PrivateKey(bytes(range(1, 33)))
    out, raw = [], []
    # legacy, before EIP-155 (v = 27 + y), a contract creation (no `to`)
    fields = [5, 7 * 10**9, 90000, b"", 0, bytes.fromhex("6080604052")]
    r, s, y = _sign(key, rlp.encode(fields))
    raw.append(rlp.encode(fields + [27 + y, r, s]))
    out.append({"type": "0x0", "nonce": "0x5", "gasPrice": hex(7 * 10**9), "gas": hex(90000), "to": None,
                "value": "0x0", "input": "0x6080604052", "v": hex(27 + y), "r": hex(r), "s": hex(s),
                "hash": _h(keccak(raw[-1]))})
    # EIP-2930 with an access list
    access = [[b"\x11" * 20, [b"\x22" * 32, b"\x33" * 32]], [b"\x44" * 20, []]]
    fields = [1, 6, 10**9, 50000, b"\x55" * 20, 12345, b"\x01\x02", access]
    r, s, y = _sign(key, b"\x01" + rlp.encode(fields))
    raw.append(b"\x01" + rlp.encode(fields + [y, r, s]))
    out.append({"type": "0x1", "chainId": "0x1", "nonce": "0x6", "gasPrice": hex(10**9), "gas": hex(50000),
                "to": "0x" + "55" * 20, "value": hex(12345), "input": "0x0102",
                "accessList": [{"address": "0x" + "11" * 20, "storageKeys": ["0x" + "22" * 32, "0x" + "33" * 32]},
                               {"address": "0x" + "44" * 20, "storageKeys": []}],
                "v": hex(y), "yParity": hex(y), "r": hex(r), "s": hex(s),
                "hash": _h(keccak(raw[-1]))})
    for t in out:
        t["from"] = _address(key)
    return out, raw


def test_synthetic_block_validates_and_a_tamper_fails():
    if not FILE.exists():
        pytest.skip(VECTORS_SKIP)
    b = json.loads(FILE.read_text())
    txs, raws = synthetic_txs()
    real = copy.deepcopy(b["transactions"][:3])
    # the real transactions' encodings are ledgerval's, checked against the chain's own hashes
    assert [keccak(from_json(t).encoded).hex() for t in real] == [t["hash"][2:] for t in real]
    b["transactions"] = txs + real
    tr = trie.HexaryTrie({})
    for i, enc in enumerate(raws + [from_json(t).encoded for t in real]):
        tr[rlp.encode(i)] = enc
    b["transactionsRoot"] = _h(tr.root_hash)
    header = [bytes.fromhex(b[n][2:].rjust(len(b[n]) - 2 + (len(b[n]) & 1), "0")) for n in _HEADER]
    header = [v.lstrip(b"\0") if n in _INTS else v for n, v in zip(_HEADER, header)]
    b["hash"] = _h(keccak(rlp.encode(header)))
    rep = evm.validate_block(b)
    assert rep.ok and rep.tx_root_ok and rep.header_hash_ok, rep.errors
    assert rep.senders[:2] == [bytes.fromhex(txs[0]["from"][2:])] * 2 and rep.tx_hashes[:2] == [keccak(r) for r in raws]
    b["transactions"][1]["accessList"][0]["storageKeys"].pop()
    got = sorted((e.code, e.tx_index) for e in evm.validate_block(b).errors if e.tx_index is not None)
    assert got == [("bad_tx_hash", 1), ("wrong_sender", 1)]


_HEADER = ["parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
           "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
           "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot",
           "requestsHash"]
_INTS = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed",
         "excessBlobGas"}

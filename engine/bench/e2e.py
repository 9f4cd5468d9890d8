"""The end-to-end rows' peer: a Python loop over the peer libraries doing a block's checks one at a time.

For each block, in the timed call: the header hash, the hash of each transaction body, the RFC 6962 Merkle
root compared with the header's, the parent link, duplicate transactions and replayed (key, nonce) pairs
through Python sets, every transaction signature over its tx_hash and every commit signature over the header
hash, one call each.  It is what a node written directly on hashlib/pycryptodome and coincurve,
cryptography, PyNaCl or Tongsuo would do.  Splitting the block into byte strings and the conversions a
library needs (DER, low S) happen once, before timing, as for the other peers; the loop returns one verdict
per block so the harness can check it did the work.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import peers as P

# Which per-call libraries can verify each scheme, fastest first (as the verify rows measure them): an
# end-to-end row times the first one installed (a loop over OpenSSL's secp256k1 would cost seconds a run and
# never be the best peer).
LOOP_LIBRARIES = {
    "ecdsa-secp256k1": ("coincurve", "cryptography"),
    "ecdsa-p256": ("cryptography",),
    "ed25519": ("pynacl", "cryptography"),
    "sm2": ("tongsuopy",),
}


def peer_name(library: str) -> str:
    return "loop:" + library


def first_loop_peer(suite: str, blocks: list[bytes], validators: list[bytes]) -> tuple[str, object]:
    """(peer name, run) for the first installed library of the suite's scheme; raises LookupError naming
    every library tried when none is installed."""
    from ledgerval.suites import get_suite

    why = []
    for lib in LOOP_LIBRARIES[get_suite(suite).scheme]:
        try:
            return peer_name(lib), loop_peer(suite, blocks, validators, lib)
        except (ImportError, LookupError) as exc:
            why.append(f"{lib}: {exc}")
    raise LookupError("; ".join(why))


@dataclass
class _Block:
    header: bytes
    prev_hash: bytes
    tx_root: bytes
    txs: list[tuple[bytes, bytes, bytes, bytes]]  # (body, key as prepared, signature as prepared, key||nonce)
    commit: list[tuple[bytes, bytes]]  # (validator key as prepared, signature as prepared)


def _split(blocks: list[bytes], validators: list[bytes], prepare) -> list[_Block]:
    from ledgerval.format import HEADER_SIZE, SIG_SIZE, decode_block

    out = []
    for raw in blocks:
        dec = decode_block(raw)
        k = dec.suite.key_len
        txs = []
        for a, s in zip(dec.tx_start.tolist(), dec.sig_off.tolist()):
            key, sig = prepare(raw[a:a + k], raw[s:s + SIG_SIZE])
            txs.append((raw[a:s], key, sig, raw[a:a + k + 8]))
        commit = [prepare(validators[vi], bytes(sig)) for vi, sig in zip(dec.commit_index.tolist(), dec.commit_sig)]
        h = dec.header
        out.append(_Block(raw[:HEADER_SIZE], h.prev_hash, h.tx_root, txs, commit))
    return out


def loop_peer(suite: str, blocks: list[bytes], validators: list[bytes], library: str):
    """``run()`` checking ``blocks`` (a chain from its first block) with ``library``'s one-call verify;
    raises LookupError or ImportError when the library cannot verify the suite's scheme."""
    from ledgerval.suites import get_suite

    s = get_suite(suite)
    if library not in LOOP_LIBRARIES[s.scheme]:
        raise LookupError("n/a")
    prepare, verify = P.SINGLE_VERIFIERS[library](s.scheme)
    h = P.best_hash(s.hash)
    split = _split(blocks, validators, prepare)

    def run() -> list[bool]:
        verdicts = []
        prev = None
        for b in split:
            header_hash = h(b.header)
            ok = prev is None or b.prev_hash == prev
            hashes, seen_tx, seen_nonce = [], set(), set()
            for body, key, sig, key_nonce in b.txs:
                th = h(body)
                ok &= th not in seen_tx and key_nonce not in seen_nonce and verify(key, th, sig)
                seen_tx.add(th)
                seen_nonce.add(key_nonce)
                hashes.append(th)
            ok &= P.python_merkle_root(s.hash, hashes, "rfc6962", h) == b.tx_root
            ok &= all(verify(key, header_hash, sig) for key, sig in b.commit)
            verdicts.append(bool(ok))
            prev = header_hash
        return verdicts

    return run

"""Bitcoin adapter: validate real Bitcoin blocks with the engine kernels.

``validate_block(raw, prevouts=None)`` parses a serialized block, checks its header, Merkle root and
CheckBlock rules, and verifies the signatures of its standard inputs in one batch; ``load_prevouts`` reads
the outputs a block spends.  See ``BitcoinReport`` for the verdict's fields.

Checked: the header's proof of work (mainnet limit) and, given ``now``, its future-time rule; the Merkle
root and CVE-2012-2459 mutation; CheckBlock/CheckTransaction (coinbase placement, duplicate txids, size,
weight, legacy sigops, output values, duplicate and null inputs, coinbase length); the BIP141 witness
commitment; double spends inside the block; with amounts known, inputs >= outputs and the coinbase at most
subsidy + fees; and every signature of P2PKH, P2PK, bare/P2SH multisig, P2WPKH and P2WSH multisig
inputs (native and P2SH-nested), batched into one ``verify_batch`` call.  BIP66 strict DER and NULLDUMMY
apply from their mainnet heights when the coinbase states a BIP34 height.

Not checked (they need chain state or a general script interpreter): anything about the previous block
(difficulty retarget, median time, BIP30, versions), locktime and BIP68/112 sequence rules, coinbase
maturity, P2SH and witness sigop costs, other script types (counted in ``skipped_reasons``), taproot.
"""
from .prevouts import load_prevouts
from .report import BitcoinError, BitcoinReport
from .validate import validate_block

__all__ = ["validate_block", "load_prevouts", "BitcoinReport", "BitcoinError"]

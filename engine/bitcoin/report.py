"""The result of validating one block: verdicts as data, with stable error codes.

Codes follow Bitcoin Core's reject reasons where one exists (named in each comment), so a failure here can
be matched against Core's log; ``detail`` is free text naming the transaction/input and why.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Block structure and header
MALFORMED = "malformed"  # the bytes do not deserialize (Core: a deserialization exception)
BAD_DIFFBITS = "bad_diffbits"  # nBits negative, zero, overflowing or above the PoW limit (bad-diffbits)
HIGH_HASH = "high_hash"  # block hash above the nBits target (high-hash)
TIME_TOO_NEW = "time_too_new"  # header time more than 2 hours past the caller's ``now`` (time-too-new)
BAD_MERKLE_ROOT = "bad_merkle_root"  # (bad-txnmrklroot)
MUTATED = "mutated_merkle"  # CVE-2012-2459 duplicate pair in the Merkle tree (bad-txns-duplicate)
DUPLICATE_TXID = "duplicate_txid"  # two transactions with one txid
BAD_LENGTH = "bad_length"  # no transactions, or the stripped size over the weight limit (bad-blk-length)
BAD_WEIGHT = "bad_weight"  # (bad-blk-weight)
CB_MISSING = "coinbase_missing"  # first transaction not a coinbase (bad-cb-missing)
CB_MULTIPLE = "coinbase_multiple"  # a later transaction is a coinbase (bad-cb-multiple)
CB_LENGTH = "coinbase_length"  # coinbase scriptSig outside 2..100 bytes (bad-cb-length)
TOO_MANY_SIGOPS = "too_many_sigops"  # legacy sigops * 4 over 80000 (bad-blk-sigops)
VIN_EMPTY = "vin_empty"  # (bad-txns-vin-empty)
VOUT_EMPTY = "vout_empty"  # (bad-txns-vout-empty)
TX_OVERSIZE = "tx_oversize"  # (bad-txns-oversize)
VOUT_NEGATIVE = "vout_negative"  # (bad-txns-vout-negative)
VOUT_TOO_LARGE = "vout_too_large"  # (bad-txns-vout-toolarge, bad-txns-txouttotal-toolarge)
INPUTS_DUPLICATE = "inputs_duplicate"  # one outpoint spent twice in a transaction (bad-txns-inputs-duplicate)
PREVOUT_NULL = "prevout_null"  # a non-coinbase input with the null outpoint (bad-txns-prevout-null)
BAD_WITNESS_COMMITMENT = "bad_witness_commitment"  # (bad-witness-merkle-match)
BAD_WITNESS_NONCE = "bad_witness_nonce"  # coinbase witness not one 32-byte item (bad-witness-nonce-size)
UNEXPECTED_WITNESS = "unexpected_witness"  # witness data without a commitment (unexpected-witness)

DOUBLE_SPEND = "double_spend"  # two transactions of the block spend one output (bad-txns-inputs-missingorspent)

# Values (Core's CheckTxInputs and ConnectBlock; judged only where every amount involved is known)
IN_BELOW_OUT = "in_below_out"  # outputs pay more than the inputs spend (bad-txns-in-belowout)
INPUTS_VALUE_RANGE = "inputs_value_range"  # spent amounts outside 0..MAX_MONEY (bad-txns-inputvalues-outofrange)
BAD_CB_AMOUNT = "bad_cb_amount"  # coinbase pays more than subsidy + fees (bad-cb-amount)

# Inputs (Core: mandatory-script-verify-flag-failed with the script error)
BAD_SIGNATURE = "bad_signature"  # a required signature does not verify (EVAL_FALSE / CHECKSIGVERIFY)
BAD_SIG_ENCODING = "bad_sig_encoding"  # not strict DER in a BIP66 block (SIG_DER)
BAD_PUBKEY_HASH = "bad_pubkey_hash"  # P2PKH/P2WPKH key does not hash to the script's hash (EQUALVERIFY)
BAD_SCRIPT_HASH = "bad_script_hash"  # P2SH/P2WSH script does not hash to the commitment (EVAL_FALSE)
BAD_SCRIPTSIG = "bad_scriptsig"  # scriptSig not push-only where required, or too few stack items
BAD_WITNESS = "bad_witness"  # wrong witness stack for the program, or witness where none is allowed
NULLDUMMY = "nulldummy"  # CHECKMULTISIG dummy not empty in a segwit-era block (SIG_NULLDUMMY)


@dataclass(frozen=True)
class BitcoinError:
    code: str
    tx_index: int | None = None
    input_index: int | None = None
    detail: str = ""


@dataclass
class BitcoinReport:
    """``ok`` is True only when the block parsed, passed every block-level check and no checked input failed.
    Skipped inputs do not make ``ok`` False, but they are counted in ``inputs_skipped`` by reason:
    ``fully_checked`` is True only when none was skipped.  ``implied_scripts`` counts inputs verified
    against the script their scriptSig implies (no prevout was available for them)."""

    ok: bool = False
    pow_ok: bool = False
    merkle_ok: bool = False
    mutated: bool = False
    block_hash: str = ""
    n_tx: int = 0
    n_inputs: int = 0
    inputs_checked: int = 0
    sigs_checked: int = 0
    sigs_failed: int = 0
    cached_signatures: int = 0  # signatures a sig_cache vouched for (not verified again)
    inputs_skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    implied_scripts: int = 0
    prevouts_used: bool = False
    errors: list[BitcoinError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def fully_checked(self) -> bool:
        return self.ok and self.inputs_skipped == 0

    def add(self, code: str, detail: str, tx_index: int | None = None, input_index: int | None = None) -> None:
        self.errors.append(BitcoinError(code, tx_index, input_index, detail))

    def skip(self, reason: str) -> None:
        self.inputs_skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fully_checked"] = self.fully_checked
        return d

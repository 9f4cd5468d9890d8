"""What ``evm.validate_block`` returns: per-transaction failures as data, with stable codes."""
from __future__ import annotations

from dataclasses import dataclass, field

# code -> what it means (the nearest go-ethereum rejection, where there is one)
CODES = {
    "malformed": "the block, a header field, a transaction or a withdrawal cannot be read (bad RLP or JSON, "
                 "an unknown transaction type, r or s outside [1, n-1], a bad v)",
    "bad_tx_hash": "Keccak-256 of the re-encoded transaction is not its stated hash",
    "bad_signature": "no public key recovers from the signature (geth: invalid transaction v, r, s values)",
    "wrong_sender": "the recovered sender is not the stated `from`",
    "high_s": "s above n/2 (EIP-2; geth: invalid transaction v, r, s values)",
    "wrong_chain_id": "the transaction is signed for another chain (geth: invalid chain id for signer)",
    "bad_tx_root": "the transactions trie root is not the header's transactionsRoot (geth: transaction root "
                   "hash mismatch)",
    "bad_withdrawals_root": "the withdrawals trie root is not the header's withdrawalsRoot (geth: withdrawals "
                            "root hash mismatch)",
    "bad_header_hash": "Keccak-256 of the header's RLP is not the block's stated hash",
}


@dataclass(frozen=True)
class EvmError:
    code: str
    tx_index: int | None     # None for block-level errors
    detail: str


@dataclass(frozen=True)
class Authorization:
    """An EIP-7702 authorization tuple and who signed it (None when it is skipped: y > 1, r or s out of
    range, high s, or no key recovers; EIP-7702 skips such a tuple without rejecting the transaction)."""
    tx_index: int
    auth_index: int
    signer: bytes | None


@dataclass
class Report:
    errors: list[EvmError] = field(default_factory=list)
    senders: list[bytes | None] = field(default_factory=list)   # 20-byte addresses in transaction order
    tx_hashes: list[bytes | None] = field(default_factory=list)  # Keccak-256 of each re-encoded transaction
    authorizations: list[Authorization] = field(default_factory=list)
    header_hash: bytes | None = None      # Keccak-256 of the header's RLP (computed)
    fork: str | None = None               # london, shanghai, cancun, prague (or pre-london)
    number: int | None = None
    tx_root_ok: bool | None = None        # None: not checked (a transaction could not be read)
    withdrawals_root_ok: bool | None = None  # None: the block has no withdrawals root
    header_hash_ok: bool | None = None    # None: no stated hash to compare with (RLP input)
    signatures_checked: int = 0           # transaction and authorization signatures recovered
    cached_signatures: int = 0            # of those, vouched for by a sig_cache instead of recovered
    # checks the input gave nothing to compare with (RLP states no hashes or senders): transactions without
    # a stated hash, transactions without a stated `from`, and 1 when the block's hash is not stated
    unstated: dict = field(default_factory=lambda: {"tx_hash": 0, "sender": 0, "header_hash": 0})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, code: str, tx_index: int | None, detail: str) -> None:
        assert code in CODES, code
        self.errors.append(EvmError(code, tx_index, detail))

    def to_json(self) -> dict:
        hx = (lambda b: None if b is None else "0x" + b.hex())
        return {
            "ok": self.ok, "number": self.number, "fork": self.fork, "header_hash": hx(self.header_hash),
            "header_hash_ok": self.header_hash_ok, "tx_root_ok": self.tx_root_ok,
            "withdrawals_root_ok": self.withdrawals_root_ok, "transactions": len(self.senders),
            "signatures_checked": self.signatures_checked, "cached_signatures": self.cached_signatures,
            "unstated": dict(self.unstated),
            "errors": [{"code": e.code, "tx_index": e.tx_index, "detail": e.detail} for e in self.errors],
            "senders": [hx(s) for s in self.senders],
            "authorizations": [{"tx_index": a.tx_index, "auth_index": a.auth_index, "signer": hx(a.signer)}
                               for a in self.authorizations],
        }

"""The verdict on one Fabric block: stable error codes as data, never exceptions.

Codes name the Fabric check they mirror where there is one (in each comment); ``detail`` is free text naming
the transaction, the signer and why.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

MALFORMED = "malformed"  # does not decode, or an envelope is not canonical (VerifyTransactionsAreWellFormed)
BAD_DATA_HASH = "bad_data_hash"  # header.data_hash != SHA-256 of the envelopes (BlockDataHash)
BAD_PREV_HASH = "bad_prev_hash"  # header.previous_hash != SHA-256 of the parent header's DER
BAD_CREATOR_SIGNATURE = "bad_creator_signature"  # envelope signature over the payload (checkSignatureFromCreator)
BAD_ENDORSEMENT_SIGNATURE = "bad_endorsement_signature"  # proposal_response_payload || endorser
BAD_ORDERER_SIGNATURE = "bad_orderer_signature"  # metadata.value || signature_header || header DER
HIGH_S = "high_s"  # an ECDSA signature with s > n/2 (Fabric's IsLowS)
UNKNOWN_IDENTITY = "unknown_identity"  # signer's certificate not issued by a CA of its MSP (msp.Validate)
MISSING_SIGNATURE = "missing_signature"  # an envelope, endorsement or block without its signature

CODES = (MALFORMED, BAD_DATA_HASH, BAD_PREV_HASH, BAD_CREATOR_SIGNATURE, BAD_ENDORSEMENT_SIGNATURE,
         BAD_ORDERER_SIGNATURE, HIGH_S, UNKNOWN_IDENTITY, MISSING_SIGNATURE)


@dataclass(frozen=True)
class FabricError:
    code: str
    tx_index: int | None = None  # the envelope's index in the block; None for block-level errors
    detail: str = ""


@dataclass
class FabricReport:
    """``ok`` is True only when the block decoded and no check failed.  Identity checks that could not be
    made (no config block precedes) do not make ``ok`` False but are counted in ``identities_skipped``:
    ``fully_checked`` is True only when none was skipped."""

    number: int | None = None
    ok: bool = False
    n_tx: int = 0
    is_config: bool = False
    signatures_checked: int = 0
    signatures_failed: int = 0
    identities_checked: int = 0
    identities_skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    errors: list[FabricError] = field(default_factory=list)

    @property
    def fully_checked(self) -> bool:
        return self.ok and self.identities_skipped == 0 and not self.skipped_reasons

    def add(self, code: str, detail: str, tx_index: int | None = None) -> None:
        self.errors.append(FabricError(code, tx_index, detail))

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + n

    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["fully_checked"] = self.fully_checked
        return d

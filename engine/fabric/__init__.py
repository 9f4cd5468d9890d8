"""Hyperledger Fabric adapter: validate Fabric ledgers (block store files or ``common.Block`` protobufs) on
the engine's kernels.

``validate_ledger(path_or_paths)`` yields a ``FabricReport`` per block, in block order;
``validate_block(block_bytes, previous=None)`` checks one ``common.Block``.  Error codes are in
``ledgerval.fabric.report`` (``CODES``).  Needs the ``fabric`` extra (protobuf, cryptography).

Checked, per block: the block and each envelope decode, and each envelope is in canonical form (it
re-encodes to exactly its bytes); data_hash is the SHA-256 of the concatenated envelopes; previous_hash is the
SHA-256 of the parent header's ASN.1 DER; every signature (envelope creators over the payload, endorsements
over proposal_response_payload || endorser, orderer signatures in the SIGNATURES metadata over value ||
signature_header || header DER) verifies, low-S for ECDSA P-256, SM2 with SM3 where the certificate has an
SM2 key; every signer's certificate chains by verified signatures to a root or intermediate CA of its MSP
in the config in force (genesis first, each later config block from the next block on).

Not checked: endorsement and channel policies (which signatures are enough, config update signatures in
ConfigEnvelope.last_update), certificate validity dates, revocation lists, organisational units and node
roles, duplicate transaction ids, the TRANSACTIONS_FILTER and COMMIT_HASH metadata, read/write sets and
chaincode semantics, idemix MSPs, orderer signatures by BFT identifier header (counted as skipped).  A
ledger that does not start at the genesis block has no trusted config: identity checks are counted as
skipped, and config blocks it meets are not adopted.
"""
from __future__ import annotations

from .blockfile import RawBlock, iter_blockfile
from .report import CODES, FabricError, FabricReport

# Importing this package needs neither protobuf nor cryptography (the CLI registers its subcommand without
# them and names the extra when it runs); validating does.


def validate_block(block_bytes: bytes, previous: bytes | None = None, *, threads: int | None = None,
                   sig_cache=None) -> FabricReport:
    """One ``common.Block`` protobuf; ``previous`` (the parent block's protobuf) enables the previous_hash
    check.  A block that does not decode gives a report with ``malformed``.  ``sig_cache`` (a
    ``ledgerval.SignatureCache``) skips the signatures it holds and stores the new successes (block and
    certificate signatures alike); the reports are the same without it."""
    from .blockfile import block_from_pb
    from .validate import LedgerState

    _check_bytes("block_bytes", block_bytes)
    state = LedgerState(threads, sig_cache)
    if previous is not None:
        _check_bytes("previous", previous)
        try:
            state.prev = block_from_pb(previous)
        except ValueError as e:
            from ..errors import InvalidArgument

            raise InvalidArgument(f"previous: {e}") from None
    try:
        raw = block_from_pb(block_bytes)
    except ValueError as e:
        rep = FabricReport()
        rep.add("malformed", str(e))
        return rep
    return state.finish([state.parse(raw)])[0]


def validate_ledger(path_or_paths, *, threads: int | None = None, sig_cache=None):
    """Reports per block over block store files (a path or a list of paths, read in the order given, the
    way ``blockfile_000000``, ``blockfile_000001``... continue each other).  A file whose framing breaks
    raises ValueError after the reports of the blocks before the damage.  ``sig_cache``: as in
    ``validate_block``."""
    import os

    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    from ..sigcache import check_sig_cache

    return _validate_files(paths, threads, check_sig_cache(sig_cache))


def _validate_files(paths, threads, sig_cache=None):
    from .stream import Stream
    from .validate import LedgerState

    stream = Stream(LedgerState(threads, sig_cache))
    try:
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            try:
                for raw in iter_blockfile(data):
                    yield from stream.add(raw)
            except ValueError as e:
                yield from stream.finish()
                raise ValueError(f"{p}: {e}") from None
        yield from stream.finish()
    finally:
        stream.close()


def _check_bytes(name: str, v) -> None:
    if not isinstance(v, (bytes, bytearray, memoryview)):
        from ..errors import InvalidType

        raise InvalidType(f"{name} must be bytes, not {type(v).__name__}")


__all__ = [
    "CODES",
    "FabricError",
    "FabricReport",
    "RawBlock",
    "iter_blockfile",
    "validate_block",
    "validate_ledger",
]

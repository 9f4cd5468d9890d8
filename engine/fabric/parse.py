"""Parsing one Fabric block into the work its checks need: the hash links checked (data_hash by the thread
that verifies the window, see ``DATA_HASH_IN_PLAN``), every signature listed with its signer and the exact
bytes it covers, the config it carries read into a ``Trust``.

Per-transaction failures are recorded in the block's report as they are found; nothing here verifies a
signature (``validate`` batches them across blocks).

Blocks of ``SCAN_MIN`` envelopes or more go through a Numba kernel first (``kernels.fabric_scan``), which
reads the endorser transactions in a strict canonical subset in one call (signature spans, no Python per
field) and declines everything else; what it declines, and smaller blocks, this module reads with
protobuf, the reference, which words every error.  On the generated ledger (3 blocks of 1,000 endorsed
transactions) parsing took 23.3 against 13.7 ms that way (thread CPU medians of 9, 2026-12-04); the tests
run every real and generated ledger test through both and fuzz the kernel against protobuf.

The protobuf path: envelopes are split by a byte check (``split_envelope``); payloads and transactions are
read with one protobuf decode of a view message each.  A hand-written canonical wire reader *in Python* for
a transaction's actions and endorsements was measured against that and lost: 4.0 against 2.2 us a
transaction (generated ledger, thread CPU, interleaved A/B, 2026-12-03), as the upb decoder reads the
fields in C and Python only touches the few it needs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError

from . import report as R
from .blockfile import RawBlock
from .identity import Identities, Trust
from .proto import lvfabric_pb2 as pb

# ChannelHeader.type values (common.HeaderType)
CONFIG, ENDORSER_TRANSACTION = 1, 3

_DECODE_ERRORS = (DecodeError, RecursionError, ValueError)


# A signature to check is a tuple (tx_index (None: the orderer's), error code when it fails, k (which
# endorsement or orderer signature; -1 for the creator), signer's SerializedIdentity bytes, message, DER
# signature): tuples, not objects, because a block of 1,000 transactions lists 3,000 of them.
CREATOR = -1


def describe(code: str, k: int) -> str:
    if code == R.BAD_ORDERER_SIGNATURE:
        return f"orderer signature {k}"
    return "creator" if k == CREATOR else f"endorsement {k}"


@dataclass
class BlockWork:
    raw: RawBlock
    report: R.FabricReport
    trust: Trust | None            # the config in force for this block's identity checks
    sigs: list[tuple] = field(default_factory=list)
    new_trust: Trust | None = None  # the config this block carries, in force from the next block on
    certs: Identities | None = None  # the ledger's certificate cache
    envelopes: bytes = b""  # the envelopes, concatenated: what data_hash covers (the window hashes them)


# data_hash is checked by the thread that verifies the block's window (``validate.Chunk.run``), so that
# at 2 threads the parsing thread does not hash.  Blocks of at most this many bytes of envelopes join the
# plan's one native SHA-256 batch with the signed messages: on the real ledger (20 blocks, 205 KB) 200
# against 239 us for hashlib plus the batch (thread CPU medians).  Bigger ones go to hashlib (OpenSSL,
# SHA-NI, the GIL released): a 1.6 MB block took 0.83 ms there and 1.43 ms more in the batch (medians of 30).
DATA_HASH_IN_PLAN = 1 << 16


def check_data_hash(raw: RawBlock, rep: R.FabricReport, data_hash: bytes) -> None:
    """``bad_data_hash`` when the envelopes hash to ``data_hash``, not the header's: always the block's first
    error, whenever it is found."""
    if data_hash != raw.data_hash:
        rep.errors.insert(0, R.FabricError(R.BAD_DATA_HASH, None, f"block {raw.number}: data_hash "
                                           f"{raw.data_hash.hex()} but the envelopes hash to {data_hash.hex()}"))


def check_links(work: BlockWork, prev: RawBlock | None) -> None:
    raw, rep = work.raw, work.report
    work.envelopes = b"".join(raw.envelopes)
    if prev is None:
        return
    want = hashlib.sha256(prev.header_der()).digest()
    if raw.previous_hash != want:
        rep.add(R.BAD_PREV_HASH, f"block {raw.number}: previous_hash {raw.previous_hash.hex()} but block "
                                 f"{prev.number}'s header hashes to {want.hex()}")
    elif raw.number != prev.number + 1:
        rep.add(R.BAD_PREV_HASH, f"block {raw.number} follows block {prev.number}")


# How often (in envelopes) parse_block offers its signatures to the ledger stream: about 200 signatures
# of the generated ledger, well under a chunk.
CUT_EVERY = 64


def parse_block(raw: RawBlock, trust: Trust | None, prev: RawBlock | None, certs: Identities,
                cut=None) -> BlockWork:
    """``cut(work)``, when given, is called every ``CUT_EVERY`` envelopes with the work so far: the ledger stream hands
    the signatures listed by then to the verifier while the rest of the block is parsed."""
    rep = R.FabricReport(number=raw.number, n_tx=len(raw.envelopes))
    genesis = raw.number == 0 and prev is None
    work = BlockWork(raw, rep, trust, certs=certs)
    check_links(work, prev)
    if not raw.envelopes:
        rep.add(R.MALFORMED, f"block {raw.number} has no transactions")  # VerifyTransactionsAreWellFormed
    if len(raw.envelopes) >= SCAN_MIN:
        _scanned(work, genesis, cut)
    else:
        for i, env_bytes in enumerate(raw.envelopes):
            _one(work, i, env_bytes, genesis)
            if cut is not None and not (i + 1) % CUT_EVERY:
                cut(work)
    if genesis and work.new_trust is not None:
        work.trust = work.new_trust  # the genesis block is the trust anchor: its config vouches for itself
    try:
        _orderer_sigs(work, genesis)
    except _DECODE_ERRORS as e:
        rep.add(R.MALFORMED, f"block {raw.number}: SIGNATURES metadata does not decode ({e})")
    return work


def _one(work: BlockWork, i: int, env_bytes: bytes, genesis: bool) -> None:
    try:
        _envelope(work, i, env_bytes, genesis)
    except _DECODE_ERRORS as e:
        work.report.add(R.MALFORMED, f"transaction {i}: {e or 'does not decode'}", i)


# Blocks of at least this many envelopes are read by the scan kernel (``kernels.fabric_scan``: Numba,
# imported at the first such block); the envelopes it declines, and smaller blocks, by ``_envelope``.
SCAN_MIN = 16


def _scanned(work: BlockWork, genesis: bool, cut) -> None:
    """``parse_block``'s envelope loop over the scan kernel's rows: the endorser transactions in canonical
    form become signature tuples in bulk, the others go through ``_envelope`` in their place, so the
    signatures and the report come in the same order either way."""
    import numpy as np

    from ..kernels import fabric_scan as FS

    envs, joined = work.raw.envelopes, work.envelopes
    n = len(envs)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, envs), dtype=np.int64, count=n), out=offsets[1:])
    ok, row_off, rows = FS.scan_endorser_envelopes(np.frombuffer(joined, dtype=np.uint8), offsets)
    cols = rows.T.tolist()
    # one bytes object per distinct signer: the window's signer lookups then hash each once
    signer = [None] * len(rows)
    for r in np.flatnonzero(rows[:, FS.SAME] == np.arange(len(rows))).tolist():
        signer[r] = joined[cols[FS.SIGNER_A][r]:cols[FS.SIGNER_B][r]]
    cols[FS.SAME] = [signer[f] for f in cols[FS.SAME]]
    ro = row_off.tolist()
    declined = np.flatnonzero(ok == 0).tolist()
    d, start = 0, 0
    while start < n:
        stop = min(n, (start // CUT_EVERY + 1) * CUT_EVERY)
        a = start
        while d < len(declined) and declined[d] < stop:
            f = declined[d]
            _rows(work, cols, ro[a], ro[f])
            _one(work, f, envs[f], genesis)
            a, d = f + 1, d + 1
        _rows(work, cols, ro[a], ro[stop])
        if cut is not None and not stop % CUT_EVERY:
            cut(work)
        start = stop


def _rows(work: BlockWork, cols: list, r0: int, r1: int) -> None:
    """The signature tuples of scan rows r0..r1 (``kernels.fabric_scan``'s columns, as lists; the ``SAME``
    column holds the signers' bytes)."""
    if r0 == r1:
        return
    j = work.envelopes
    _, _, ma, mb, m2a, m2b, ga, gb, ks, txs, signers = (c[r0:r1] for c in cols)
    codes = [R.BAD_CREATOR_SIGNATURE if k < 0 else R.BAD_ENDORSEMENT_SIGNATURE for k in ks]
    msgs = [j[a:b] + j[c:e] for a, b, c, e in zip(ma, mb, m2a, m2b)]
    sigs = [j[a:b] for a, b in zip(ga, gb)]
    work.sigs.extend(zip(txs, codes, ks, signers, msgs, sigs))


def split_envelope(env: bytes) -> tuple[bytes, bytes] | None:
    """(payload, signature) when ``env`` is byte for byte the canonical encoding of an Envelope with a
    non-empty payload (field 1, then field 2 unless the signature is empty, minimal varint lengths), else
    None: the caller then decodes it with protobuf, which gives the exact error.  It replaces
    FromString + DiscardUnknownFields + SerializeToString on the common path: 0.37 against 1.35 us an
    envelope on the generated ledger (best of 5)."""
    n = len(env)
    if n < 2 or env[0] != 0x0A:
        return None
    ln, pos = env[1], 2
    if ln & 0x80:
        ln &= 0x7F
        shift = 7
        while True:
            if pos >= n or shift > 28:
                return None
            b = env[pos]
            pos += 1
            ln |= (b & 0x7F) << shift
            if not b & 0x80:
                if b == 0:  # a trailing zero group: not minimal
                    return None
                break
            shift += 7
    end = pos + ln
    if ln == 0 or end > n:
        return None
    if end == n:
        return env[pos:end], b""
    # a signature is at most 72 bytes of DER: longer ones (two length bytes) go the slow way
    if n - end < 3 or env[end] != 0x12 or env[end + 1] != n - end - 2 or env[end + 1] & 0x80:
        return None
    return env[pos:end], env[end + 2:]


def _envelope(work: BlockWork, i: int, env_bytes: bytes, genesis: bool) -> None:
    rep = work.report
    parts = split_envelope(env_bytes)
    if parts is None:
        env = pb.Envelope.FromString(env_bytes)
        env.DiscardUnknownFields()
        if env.SerializeToString() != env_bytes:
            # Fabric's VerifyTransactionsAreWellFormed: appended or repeated fields could rewrite a signed
            # envelope
            rep.add(R.MALFORMED, f"transaction {i}: the envelope is not in canonical form", i)
            return
        parts = env.payload, env.signature
    payload_bytes, signature = parts
    view = _endorser_view(payload_bytes)
    if view is not None:  # the common case, read in one decode: the rest of this function, in short
        if signature:
            work.sigs.append((i, R.BAD_CREATOR_SIGNATURE, CREATOR, view.header.signature_header.creator,
                              payload_bytes, signature))
        elif not genesis:
            rep.add(R.MISSING_SIGNATURE, f"transaction {i}: the envelope carries no signature", i)
        _endorsements(work, i, view.data.actions)
        return
    payload = read_payload(payload_bytes)
    if not payload.HasField("header"):
        raise ValueError("the payload has no header")
    hdr = payload.header
    htype = hdr.channel_header.type
    creator = hdr.signature_header.creator
    if not creator:
        raise ValueError("the signature header names no creator")
    if htype == CONFIG:
        adopt = genesis or work.trust is not None
        trust = work.certs.trust(payload.data, work.raw.number) if adopt else None  # seen before: not decoded
        if trust is None:
            cenv = pb.ConfigEnvelope.FromString(payload.data)
            if not cenv.HasField("config"):
                raise ValueError("config transaction without a config")
        work.report.is_config = True
        if adopt:
            work.new_trust = trust or work.certs.trust(payload.data, work.raw.number, cenv.config)
        else:
            rep.skip("config block without a trusted predecessor: its MSPs are not adopted")
    if signature:
        work.sigs.append((i, R.BAD_CREATOR_SIGNATURE, CREATOR, creator, payload_bytes, signature))
    elif not genesis:
        rep.add(R.MISSING_SIGNATURE, f"transaction {i}: the envelope carries no signature", i)
    if htype == ENDORSER_TRANSACTION:
        _endorsements(work, i, read_actions(payload.data))  # actions, payloads, endorsements: one decode


# The view messages declare as embedded messages what Fabric declares as bytes (Header.channel_header and
# .signature_header, TransactionAction.payload), so that one decode reads the tree.  The two differ only
# where such a field occurs twice: protobuf merges embedded messages, while Fabric takes the last bytes.
# A view is trusted when it re-encodes to the length it was read from: a repeated field (or anything
# else that merged or collapsed) re-encodes shorter, as each occurrence after the first loses its own tag
# and length.  Otherwise (or when the view does not decode: an occurrence Fabric skips may be damaged)
# the bytes are read again the way Fabric reads them.  The check costs about 0.35 us a decode; every
# payload and transaction of both real ledgers passes it.

def read_payload(payload_bytes: bytes):
    """A ``PayloadView`` of a ``common.Payload`` holding what Fabric reads from it; DecodeError when it
    does not decode."""
    try:
        view = pb.PayloadView.FromString(payload_bytes)
        if view.ByteSize() == len(payload_bytes):
            return view
    except DecodeError:
        pass  # an occurrence Fabric never reads (not the last) may not decode
    exact = pb.Payload.FromString(payload_bytes)
    view = pb.PayloadView(data=exact.data)
    if exact.HasField("header"):
        view.header.channel_header.CopyFrom(pb.ChannelHeader.FromString(exact.header.channel_header))
        view.header.signature_header.CopyFrom(pb.SignatureHeader.FromString(exact.header.signature_header))
    return view


def read_actions(data: bytes):
    """The actions (``TransactionActionView``) of a ``peer.Transaction`` as Fabric reads them; DecodeError
    when it does not decode."""
    try:
        view = pb.TransactionView.FromString(data)
        if view.ByteSize() == len(data):
            return view.actions
    except DecodeError:
        pass
    view = pb.TransactionView()
    for action in pb.Transaction.FromString(data).actions:
        v = view.actions.add(header=action.header)
        v.payload.CopyFrom(pb.ChaincodeActionPayloadView.FromString(action.payload))
    return view.actions


def _endorser_view(payload_bytes: bytes):
    """An ``EndorserPayloadView`` of an endorser transaction's payload with a creator, when it is trusted
    as ``read_payload`` trusts its view (it re-encodes to its length: no field occurred twice at any level,
    so it holds what Fabric reads); else None, and ``_envelope`` reads the payload the general way.  One
    decode instead of two: 2.8 against 3.7 ms for 1,000 transactions (thread CPU medians of 15)."""
    try:
        view = pb.EndorserPayloadView.FromString(payload_bytes)
    except DecodeError:
        return None
    hdr = view.header
    if (hdr.channel_header.type != ENDORSER_TRANSACTION or not hdr.signature_header.creator
            or view.ByteSize() != len(payload_bytes)):
        return None
    return view


def _endorsements(work: BlockWork, i: int, actions) -> None:
    if not actions:
        work.report.add(R.MISSING_SIGNATURE, f"transaction {i}: an endorser transaction without actions", i)
    k = 0
    sigs = work.sigs
    for action in actions:
        cea = action.payload.action
        prp = cea.proposal_response_payload
        endorsements = cea.endorsements
        if not endorsements:
            work.report.add(R.MISSING_SIGNATURE, f"transaction {i}: an action without endorsements", i)
        for e in endorsements:
            endorser, sig = e.endorser, e.signature
            if not sig or not endorser:
                work.report.add(R.MISSING_SIGNATURE, f"transaction {i}: endorsement {k} has no "
                                                     f"{'signature' if endorser else 'endorser'}", i)
            else:
                sigs.append((i, R.BAD_ENDORSEMENT_SIGNATURE, k, endorser, prp + endorser, sig))
            k += 1


def _orderer_sigs(work: BlockWork, genesis: bool) -> None:
    raw, rep = work.raw, work.report
    md = pb.Metadata.FromString(raw.metadata[0]) if raw.metadata else pb.Metadata()
    if not md.signatures and not genesis:
        rep.add(R.MISSING_SIGNATURE, f"block {raw.number}: no orderer signature in the SIGNATURES metadata")
        return
    prefix = None  # metadata.value || ... || header DER: the value and the header read once a block
    for k, ms in enumerate(md.signatures):
        shdr, sig = ms.signature_header, ms.signature
        if not shdr:
            # BFT orderers (Fabric 2.5+) name themselves by consenter id, which needs the consenter set
            rep.skip("orderer signature by identifier header (BFT), not checked")
            continue
        if not sig:
            rep.add(R.MISSING_SIGNATURE, f"block {raw.number}: orderer signature {k} is empty")
            continue
        creator = pb.SignatureHeader.FromString(shdr).creator
        if prefix is None:
            prefix = (md.value, raw.header_der())
        work.sigs.append((None, R.BAD_ORDERER_SIGNATURE, k, creator, prefix[0] + shdr + prefix[1], sig))

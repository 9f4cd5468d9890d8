"""Building signed Fabric ledgers for tests and benchmarks: self-made CAs and certificates (P-256 or SM2),
a genesis config block, then blocks of endorsed transactions, in the block store's framing.

For test data only (keys from seeds, signing not hardened; see ``ledgerval.signing``).  ``corrupt`` hooks
change one part before everything that covers it is computed, so a test can damage exactly one thing:
``corrupt[("creator", block, tx)]``, ``("endorsement", block, tx, k)`` and ``("orderer", block)`` take and
return a DER signature; ``("envelope", block, tx)`` the envelope bytes; ``("data_hash", block)`` and
``("prev_hash", block)`` the header field.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .. import signing
from . import der
from .blockfile import RawBlock, serialize_record
from .proto import lvfabric_pb2 as pb

_N = {"ecdsa-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
      "sm2": 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123}
_CURVE = {"ecdsa-p256": der.OID_P256, "sm2": der.OID_SM2}
_SIGALG = {"ecdsa-p256": der.OID_ECDSA_SHA256, "sm2": der.OID_SM2_SM3}
_OID_CN = bytes.fromhex("550403")


def _name(cn: str) -> bytes:
    return der.tlv(0x30, der.tlv(0x31, der.tlv(0x30, der.tlv(0x06, _OID_CN) + der.tlv(0x0C, cn.encode()))))


def high_s(sig_der: bytes, scheme: str = "ecdsa-p256") -> bytes:
    """The same signature with s replaced by n - s (still valid; rejected by the low-S rule)."""
    r, s = der.decode_ecdsa_sig(sig_der)
    return der.encode_ecdsa_sig(r, _N[scheme] - s)


class Signer:
    """A key and its certificate (PEM), issued by ``issuer`` (None: self-signed, a root CA)."""

    def __init__(self, scheme: str, cn: str, issuer: Signer | None = None, serial: int = 1, seed: str = ""):
        self.scheme, self.cn = scheme, cn
        self.priv = signing.private_keys(scheme, [f"fabric-{scheme}-{cn}{seed}".encode()])
        self.pub = bytes(signing.public_keys(scheme, self.priv)[0])
        signer = issuer or self
        tbs = der.tlv(0x30, b"".join([
            der.tlv(0xA0, der.der_uint(2)), der.der_uint(serial), der.tlv(0x30, der.tlv(0x06, _SIGALG[scheme])),
            _name(signer.cn), der.tlv(0x30, der.tlv(0x17, b"250101000000Z") + der.tlv(0x17, b"350101000000Z")),
            _name(cn),
            der.tlv(0x30, der.tlv(0x30, der.tlv(0x06, der.OID_EC_PUBLIC_KEY) + der.tlv(0x06, _CURVE[scheme]))
                    + der.tlv(0x03, b"\x00" + self.pub))]))
        cert = der.tlv(0x30, tbs + der.tlv(0x30, der.tlv(0x06, _SIGALG[scheme]))
                       + der.tlv(0x03, b"\x00" + signer.sign_many([tbs])[0]))
        b64 = __import__("base64").encodebytes(cert).replace(b"\n", b"")
        lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
        self.pem = b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"

    def identity(self, mspid: str) -> bytes:
        return pb.SerializedIdentity(mspid=mspid, id_bytes=self.pem).SerializeToString()

    def sign_many(self, messages: list[bytes]) -> list[bytes]:
        """DER signatures (ECDSA P-256 over SHA-256, low S; SM2 with SM3) of each message."""
        return sign_all([(self, m) for m in messages])


def sign_all(items: list[tuple[Signer, bytes]]) -> list[bytes]:
    """DER signatures of (signer, message) pairs, signed in one batch per scheme."""
    out: list[bytes] = [b""] * len(items)
    for scheme in {s.scheme for s, _ in items}:
        idx = [i for i, (s, _) in enumerate(items) if s.scheme == scheme]
        privs = np.concatenate([items[i][0].priv for i in idx])
        msgs = [items[i][1] for i in idx]
        if scheme == "ecdsa-p256":
            msgs = [hashlib.sha256(m).digest() for m in msgs]
        sigs = signing.sign_batch(scheme, privs, msgs)
        n = _N[scheme]
        for i, row in zip(idx, sigs):
            r, s = int.from_bytes(row[:32].tobytes(), "big"), int.from_bytes(row[32:].tobytes(), "big")
            if scheme == "ecdsa-p256" and s > n >> 1:
                s = n - s
            out[i] = der.encode_ecdsa_sig(r, s)
    return out


class Network:
    """Orgs with a root CA each (the first org's members issued through an intermediate CA), an orderer,
    and one client and ``peers`` endorsing peers per org."""

    def __init__(self, scheme: str = "ecdsa-p256", orgs: int = 2, peers: int = 1, channel: str = "lvchannel"):
        self.scheme, self.channel = scheme, channel
        self.msps: dict[str, tuple[list[Signer], list[Signer]]] = {}
        self.clients: list[tuple[str, Signer]] = []
        self.peers: list[tuple[str, Signer]] = []
        oca = Signer(scheme, "ca.orderer")
        self.msps["OrdererMSP"] = ([oca], [])
        self.orderer = ("OrdererMSP", Signer(scheme, "orderer0", oca, 2))
        for o in range(1, orgs + 1):
            mspid = f"Org{o}MSP"
            root = Signer(scheme, f"ca.org{o}")
            issuer, inter = root, []
            if o == 1:
                issuer = Signer(scheme, f"ica.org{o}", root, 2)
                inter = [issuer]
            self.msps[mspid] = ([root], inter)
            self.clients.append((mspid, Signer(scheme, f"client.org{o}", issuer, 3)))
            for p in range(peers):
                self.peers.append((mspid, Signer(scheme, f"peer{p}.org{o}", issuer, 10 + p)))
        self.rogue = ("Org2MSP", Signer(scheme, "intruder", Signer(scheme, "ca.org2", seed="rogue"), 99))  # unknown CA:
        # same issuer name as Org2's root but a different key, so only the signature check can tell

    def config(self, drop: tuple[str, ...] = ()) -> bytes:
        """A ConfigEnvelope naming every MSP but those in ``drop``."""
        cfg = pb.Config(sequence=len(drop))
        for mspid, (roots, inter) in self.msps.items():
            if mspid in drop:
                continue
            top = "Orderer" if mspid == "OrdererMSP" else "Application"
            fm = pb.FabricMSPConfig(name=mspid, root_certs=[r.pem for r in roots],
                                    intermediate_certs=[i.pem for i in inter])
            msp = pb.MSPConfig(type=0, config=fm.SerializeToString())
            cfg.channel_group.groups[top].groups[mspid[:-3]].values["MSP"].value = msp.SerializeToString()
        return pb.ConfigEnvelope(config=cfg).SerializeToString(deterministic=True)


def _payload(net: Network, htype: int, creator: bytes, data: bytes, txid: str) -> bytes:
    ch = pb.ChannelHeader(type=htype, channel_id=net.channel, tx_id=txid).SerializeToString()
    sh = pb.SignatureHeader(creator=creator, nonce=hashlib.sha256(txid.encode()).digest()[:24])
    return pb.Payload(header=pb.Header(channel_header=ch, signature_header=sh.SerializeToString()),
                      data=data).SerializeToString()


def build_ledger(net: Network, blocks: int, txs: int, endorsers: int = 2, corrupt: dict | None = None,
                 creator_of=None, configs: dict | None = None) -> list[RawBlock]:
    """Block 0 is the genesis config block; blocks 1.. hold ``txs`` endorsed transactions each, from the
    orgs' clients in turn, each endorsed by ``endorsers`` peers.  ``creator_of(block, tx)`` may name another
    (mspid, Signer) as a transaction's creator; ``configs[block]`` makes that block a config block carrying
    the given ConfigEnvelope."""
    corrupt = corrupt or {}
    configs = {0: net.config(), **(configs or {})}
    hook = lambda key, v: corrupt[key](v) if key in corrupt else v
    out: list[RawBlock] = []
    prev = None
    for b in range(blocks):
        pending: list[tuple[Signer, bytes]] = []  # endorsements to sign, in order
        bodies = []
        for t in range(1 if b in configs else txs):
            if b in configs:
                creator = net.orderer
                payload = _payload(net, 1, creator[1].identity(creator[0]), configs[b], f"config{b}")
                bodies.append((payload, []))
            else:
                creator = (creator_of(b, t) if creator_of else None) or net.clients[t % len(net.clients)]
                prp = hashlib.sha256(f"rwset {b} {t}".encode()).digest() * 4
                ends = [net.peers[(t + k) % len(net.peers)] for k in range(endorsers)]
                for k, (mspid, peer) in enumerate(ends):
                    ident = peer.identity(mspid)
                    pending.append((peer, prp + ident))
                bodies.append((prp, ends))
            bodies[-1] = bodies[-1] + (creator,)
        sigs = iter(sign_all(pending))
        envelopes = []
        for t, body in enumerate(bodies):
            if b in configs:
                payload, _, creator = body
            else:
                prp, ends, creator = body
                endorsements = [pb.Endorsement(endorser=p.identity(m), signature=hook(("endorsement", b, t, k), next(sigs)))
                                for k, (m, p) in enumerate(ends)]
                cap = pb.ChaincodeActionPayload(chaincode_proposal_payload=b"invoke",
                                                action=pb.ChaincodeEndorsedAction(proposal_response_payload=prp,
                                                                                  endorsements=endorsements))
                tx = pb.Transaction(actions=[pb.TransactionAction(header=b"", payload=cap.SerializeToString())])
                payload = _payload(net, 3, creator[1].identity(creator[0]), tx.SerializeToString(), f"tx{b}.{t}")
            envelopes.append((creator[1], payload))
        csigs = sign_all([(s, p) for s, p in envelopes])
        envs = [hook(("envelope", b, t), pb.Envelope(payload=p, signature=hook(("creator", b, t), s)).SerializeToString())
                for t, ((_, p), s) in enumerate(zip(envelopes, csigs))]
        data_hash = hook(("data_hash", b), hashlib.sha256(b"".join(envs)).digest())
        prev_hash = b"" if prev is None else hashlib.sha256(der.header_der(prev.number, prev.previous_hash,
                                                                           prev.data_hash)).digest()
        prev_hash = hook(("prev_hash", b), prev_hash)
        meta = [b"", b"", b"", b"", b""]
        if b > 0:
            mspid, orderer = net.orderer
            shdr = pb.SignatureHeader(creator=orderer.identity(mspid), nonce=bytes(24)).SerializeToString()
            value = b"\x0a\x02\x08" + bytes([b & 0x7F])  # an OrdererBlockMetadata naming the last config block
            msg = value + shdr + der.header_der(b, prev_hash, data_hash)
            osig = hook(("orderer", b), orderer.sign_many([msg])[0])
            meta[0] = pb.Metadata(value=value, signatures=[pb.MetadataSignature(signature_header=shdr,
                                                                                 signature=osig)]).SerializeToString()
        prev = RawBlock(b, prev_hash, data_hash, envs, meta)
        out.append(prev)
    return out


def ledger_bytes(blocks: list[RawBlock]) -> bytes:
    return b"".join(serialize_record(b) for b in blocks)

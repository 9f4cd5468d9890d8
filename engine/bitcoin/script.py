"""Script reading as Bitcoin Core does it: opcode iteration (GetScriptOp), push-only decoding, the standard
templates this adapter verifies, FindAndDelete, OP_CODESEPARATOR removal and the legacy sigop count.

No general interpreter lives here: an input is verified only when its scripts match a template whose
execution reduces to signature checks plus hash comparisons (see ``inputs.py``).
"""
from __future__ import annotations

import hashlib

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1NEGATE = 0x4F
OP_1 = 0x51
OP_16 = 0x60
OP_RETURN = 0x6A
OP_DUP = 0x76
OP_EQUAL = 0x87
OP_EQUALVERIFY = 0x88
OP_HASH160 = 0xA9
OP_CODESEPARATOR = 0xAB
OP_CHECKSIG = 0xAC
OP_CHECKSIGVERIFY = 0xAD
OP_CHECKMULTISIG = 0xAE
OP_CHECKMULTISIGVERIFY = 0xAF

MAX_PUBKEYS_PER_MULTISIG = 20
MAX_SCRIPT_ELEMENT_SIZE = 520


def _ripemd160_proto():
    try:
        return hashlib.new("ripemd160")
    except ValueError:  # OpenSSL 3 without its legacy provider has none; pycryptodome always does
        from Crypto.Hash import RIPEMD160

        return RIPEMD160.new()


_RIPEMD160 = _ripemd160_proto()  # copying a fresh object is cheaper than hashlib.new's lookup


def hash160(data: bytes) -> bytes:
    h = _RIPEMD160.copy()
    h.update(hashlib.sha256(data).digest())
    return h.digest()


def hash160_spans(buf, offsets):
    """(N, 20) uint8 HASH160 of each span ``buf[offsets[i]:offsets[i+1]]`` (1-D uint8, (N+1,) int64): the
    native kernel when it is built, else the Numba one."""
    from ..kernels.bitcoin_p2pkh import hash160_spans as spans

    return spans(buf, offsets)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def get_op(script: bytes, pc: int) -> tuple[bool, int, int, bytes | None]:
    """One step of Core's GetScriptOp at ``pc``: (ok, opcode, next_pc, push_data).

    On failure ``next_pc`` is where Core leaves its iterator (past the opcode and any length bytes it
    managed to read); OP_CODESEPARATOR removal in the legacy sighash depends on that position.
    """
    end = len(script)
    if pc >= end:
        return False, -1, pc, None
    op = script[pc]
    pc += 1
    if op > OP_PUSHDATA4:
        return True, op, pc, None
    if op < OP_PUSHDATA1:
        size = op
    elif op == OP_PUSHDATA1:
        if end - pc < 1:
            return False, op, pc, None
        size = script[pc]
        pc += 1
    elif op == OP_PUSHDATA2:
        if end - pc < 2:
            return False, op, pc, None
        size = script[pc] | script[pc + 1] << 8
        pc += 2
    else:
        if end - pc < 4:
            return False, op, pc, None
        size = int.from_bytes(script[pc : pc + 4], "little")
        pc += 4
    if end - pc < size:
        return False, op, pc, None
    return True, op, pc + size, script[pc : pc + size]


def push_values(script: bytes) -> list[bytes] | None:
    """The stack a push-only script leaves (OP_0..OP_16 and OP_1NEGATE included), or None when the script
    holds any other opcode or a truncated push (Core's IsPushOnly, then evaluation)."""
    out = []
    pc, end = 0, len(script)
    while pc < end:
        ok, op, pc, data = get_op(script, pc)
        if not ok:
            return None
        if op <= OP_PUSHDATA4:
            out.append(data)
        elif op == OP_1NEGATE:
            out.append(b"\x81")
        elif OP_1 <= op <= OP_16:
            out.append(bytes((op - OP_1 + 1,)))
        else:
            return None
    return out


def push_script(data: bytes) -> bytes:
    """``CScript() << data``: the minimal push of ``data`` (used as FindAndDelete's pattern)."""
    n = len(data)
    if n < OP_PUSHDATA1:
        return bytes((n,)) + data
    if n <= 0xFF:
        return bytes((OP_PUSHDATA1, n)) + data
    if n <= 0xFFFF:
        return bytes((OP_PUSHDATA2,)) + n.to_bytes(2, "little") + data
    return bytes((OP_PUSHDATA4,)) + n.to_bytes(4, "little") + data


def find_and_delete(script: bytes, pattern: bytes) -> bytes:
    """Core's FindAndDelete: at every opcode boundary drop each run of ``pattern``; the tail after a
    failing opcode is kept as it is."""
    if not pattern or pattern not in script:
        return script
    out = []
    n = len(pattern)
    pc = pc2 = 0
    end = len(script)
    found = False
    while True:
        out.append(script[pc2:pc])
        while end - pc >= n and script.startswith(pattern, pc):
            pc += n
            found = True
        pc2 = pc
        ok, _, pc, _ = get_op(script, pc)
        if not ok:
            break
    if not found:
        return script
    out.append(script[pc2:])
    return b"".join(out)


def strip_codeseparators(script: bytes) -> bytes:
    """The script code as the legacy sighash serializes it: every OP_CODESEPARATOR removed, stopping at a
    failing opcode the way Core's SerializeScriptCode does (the bytes after that point are cut at Core's
    iterator position).  Returns the bytes to serialize; the caller prefixes the length from
    ``serialized_code_length``."""
    parts = []
    pc = begin = 0
    while True:
        ok, op, nxt, _ = get_op(script, pc)
        if not ok:
            pc = nxt
            break
        pc = nxt
        if op == OP_CODESEPARATOR:
            parts.append(script[begin : pc - 1])
            begin = pc
    if begin != len(script):
        parts.append(script[begin:pc])
    return b"".join(parts)


def serialized_code_length(script: bytes) -> int:
    """Core writes len(script) minus the number of OP_CODESEPARATORs seen before any failing opcode."""
    if OP_CODESEPARATOR not in script:
        return len(script)
    count = 0
    pc = 0
    while True:
        ok, op, pc, _ = get_op(script, pc)
        if not ok:
            break
        if op == OP_CODESEPARATOR:
            count += 1
    return len(script) - count


def legacy_sigop_count(script: bytes) -> int:
    """GetSigOpCount(fAccurate=false): CHECKSIG(VERIFY) counts 1, CHECKMULTISIG(VERIFY) counts 20; counting
    stops at the first failing opcode."""
    end = len(script)
    if end == 25 and script[0] == OP_DUP and script[1] == OP_HASH160 and script[2] == 20 \
            and script[23] == OP_EQUALVERIFY and script[24] == OP_CHECKSIG:
        return 1  # P2PKH
    # direct pushes (every P2PKH/P2PK scriptSig) hold no sig opcode, and a truncated one ends the count:
    # skipping them first, then looking for a sig opcode byte in the rest, saves the opcode walk on nearly
    # every script (block 277647's 1501 scripts: 0.66 ms -> ~0.3 ms)
    pc = 0
    while pc < end:
        op = script[pc]
        if not 0 < op < OP_PUSHDATA1:
            break
        pc += 1 + op
    if pc >= end:
        return 0
    if script.find(b"\xac", pc) < 0 and script.find(b"\xad", pc) < 0 and script.find(b"\xae", pc) < 0 \
            and script.find(b"\xaf", pc) < 0:
        return 0  # no byte that could be a sig opcode anywhere, so none at an opcode boundary
    n = 0
    while True:
        ok, op, pc, _ = get_op(script, pc)
        if not ok:
            return n
        if op == OP_CHECKSIG or op == OP_CHECKSIGVERIFY:
            n += 1
        elif op == OP_CHECKMULTISIG or op == OP_CHECKMULTISIGVERIFY:
            n += MAX_PUBKEYS_PER_MULTISIG


# --- templates ---------------------------------------------------------------------------------------------

def is_p2pkh(spk: bytes) -> bool:
    return (len(spk) == 25 and spk[0] == OP_DUP and spk[1] == OP_HASH160 and spk[2] == 20
            and spk[23] == OP_EQUALVERIFY and spk[24] == OP_CHECKSIG)


def p2pkh_script(pubkey_hash: bytes) -> bytes:
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def is_p2sh(spk: bytes) -> bool:
    """BIP16's exact pattern: HASH160 <20 bytes> EQUAL."""
    return len(spk) == 23 and spk[0] == OP_HASH160 and spk[1] == 20 and spk[22] == OP_EQUAL


def p2pk_key(spk: bytes) -> bytes | None:
    """The key of ``<33 or 65 bytes> CHECKSIG`` (a direct push), else None."""
    n = len(spk)
    if n == 35 and spk[0] == 33 and spk[34] == OP_CHECKSIG:
        return spk[1:34]
    if n == 67 and spk[0] == 65 and spk[66] == OP_CHECKSIG:
        return spk[1:66]
    return None


def witness_program(spk: bytes) -> tuple[int, bytes] | None:
    """(version, program) of a BIP141 witness program: a version opcode (OP_0, OP_1..OP_16) and one direct
    push of 2..40 bytes that makes up the whole script."""
    n = len(spk)
    if n < 4 or n > 42:
        return None
    v = spk[0]
    if v != OP_0 and not OP_1 <= v <= OP_16:
        return None
    if spk[1] + 2 != n:
        return None
    return (0 if v == OP_0 else v - OP_1 + 1), spk[2:]


def multisig(script: bytes) -> tuple[int, list[bytes]] | None:
    """(m, keys) of ``OP_m <key>... OP_n CHECKMULTISIG`` with 1 <= m <= n <= 16, each key a direct push
    (1..75 bytes), else None.  Keys are in script order.  Consensus does not care what the keys hold: a
    malformed one only fails the signature checks it takes part in."""
    n_bytes = len(script)
    if n_bytes < 3 or script[-1] != OP_CHECKMULTISIG:
        return None
    m_op, n_op = script[0], script[-2]
    if not (OP_1 <= m_op <= OP_16 and OP_1 <= n_op <= OP_16):
        return None
    m, n = m_op - OP_1 + 1, n_op - OP_1 + 1
    if m > n:
        return None
    keys = []
    pc, end = 1, n_bytes - 2
    while pc < end:
        size = script[pc]
        if not 1 <= size < OP_PUSHDATA1 or pc + 1 + size > end:
            return None
        keys.append(script[pc + 1 : pc + 1 + size])
        pc += 1 + size
    if len(keys) != n:
        return None
    return m, keys


def coinbase_height(script_sig: bytes) -> int | None:
    """BIP34's block height: the number the coinbase scriptSig pushes first, or None."""
    ok, op, _, data = get_op(script_sig, 0)
    if not ok:
        return None
    if op == OP_0:
        return 0
    if OP_1 <= op <= OP_16:
        return op - OP_1 + 1
    if data is None or not 1 <= len(data) <= 8:
        return None
    v = int.from_bytes(data, "little")
    if data[-1] & 0x80:  # CScriptNum is sign-magnitude
        return None
    return v

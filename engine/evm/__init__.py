"""EVM-format blocks (Ethereum, Hyperledger Besu and Quorum, FISCO BCOS in secp256k1 mode): validate one block
from its JSON-RPC ``eth_getBlockByNumber(n, true)`` object or its RLP.

    from ledgerval import evm
    report = evm.validate_block(block, chain_id=None, threads=None)
    report.ok, report.errors, report.senders, report.tx_root_ok, report.header_hash_ok

Checked: each transaction (legacy with and without EIP-155, EIP-2930, EIP-1559, EIP-4844, EIP-7702)
re-encoded canonically and hashed against its stated hash; every sender recovered from its signature in one
batch and compared with ``from``; low S (EIP-2); the chain id when ``chain_id`` is given; EIP-7702
authorization signers recovered and reported; the transactions and withdrawals trie roots; the header's RLP
(London, Shanghai, Cancun, Prague fields) hashed against the block hash.  Codes: ``report.CODES``.

Out of scope (they need state or execution): balances and nonces, gas and fees (base fee update, blob gas),
receipts and logs (receiptsRoot, logsBloom), the state root, ommers, consensus seals (Clique/QBFT extraData),
and the link to the parent block.
"""
from .report import CODES, Authorization, EvmError, Report
from .validate import validate_block

__all__ = ["CODES", "Authorization", "EvmError", "Report", "validate_block"]

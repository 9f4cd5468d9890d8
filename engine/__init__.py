"""ledgerval: a hardware-accelerated ledger validation engine.

Stable public surface: ``SUITES``, ``Validator``, ``Report``, ``Error``, ``verify_batch``, ``hash_batch``,
``merkle_root``, ``merkle_proof``, ``verify_merkle_proof``, ``recover_batch``, ``SignatureCache`` and the
package errors.
"""
from .errors import ChainFileError, InvalidArgument, InvalidType, LedgervalError
from .hashing import hash_batch
from .merkle import merkle_proof, merkle_root, verify_merkle_proof
from .sigcache import SignatureCache
from .signatures import recover_batch, verify_batch
from .suites import HASHES, SCHEMES, SUITES
from .validator import ERROR_CODES, Error, Report, Validator

__version__ = "0.1.0"

__all__ = [
    "SUITES", "SCHEMES", "HASHES", "verify_batch", "hash_batch", "merkle_root",
    "LedgervalError", "InvalidArgument", "InvalidType", "ChainFileError", "__version__",
    "Validator", "Report", "Error", "ERROR_CODES", "merkle_proof", "verify_merkle_proof", "recover_batch",
    "SignatureCache",
]

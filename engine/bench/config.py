"""The configuration header: what was measured on, so a table can be read and compared."""
from __future__ import annotations

import datetime
import os
import platform
import textwrap
from importlib import metadata

_DISTS = (("numpy", "numpy"), ("numba", "numba"), ("cffi", "cffi"), ("pycryptodome", "pycryptodome"))
PEER_DISTS = (("coincurve", "coincurve"), ("cryptography", "cryptography"), ("pynacl", "PyNaCl"),
              ("tongsuopy", "tongsuopy"), ("crypto_mb", "ipp-crypto"))


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _paths() -> dict[str, str]:
    """The code path serving each scheme and hash algorithm now (after LEDGERVAL_CPU_FEATURES)."""
    from ledgerval.hashing import paths as hash_paths
    from ledgerval.signatures import paths as sig_paths

    return {**sig_paths(), **hash_paths()}


def collect(threads: list[int]) -> dict:
    import ledgerval
    from ledgerval import native
    from ledgerval.native import _pool, cpu_features

    feats = cpu_features()
    cfg = {
        "ledgerval": ledgerval.__version__,
        "python": platform.python_version(),
        **{name: _version(dist) for name, dist in _DISTS},
        "peers": {name: _version(dist) for name, dist in PEER_DISTS},
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "cores": _pool.cpu_count(),
        "features": sorted(k for k, v in feats.items() if v),
        "threads": threads,
        "tier": native.tier(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "cpu_features_env": os.environ.get("LEDGERVAL_CPU_FEATURES"),
        "native": native.AVAILABLE,
        "native_error": native.IMPORT_ERROR,
        "paths": _paths(),
    }
    try:
        from . import cryptomb

        if cryptomb.reason():
            cfg["peers"]["crypto_mb"] = None
            cfg["crypto_mb_note"] = cryptomb.reason()
    except Exception as exc:  # pragma: no cover
        cfg["crypto_mb_note"] = str(exc)
    return cfg


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, 120, subsequent_indent="  ", break_on_hyphens=False)


def format_header(cfg: dict) -> str:
    peers = ", ".join(f"{k} {v}" if v else f"{k} absent" for k, v in cfg["peers"].items())
    env = cfg.get("cpu_features_env")
    lines = [
        (f"ledgerval {cfg['ledgerval']}  python {cfg['python']}  numpy {cfg['numpy']}  numba {cfg['numba']}  "
         f"cffi {cfg['cffi']}  pycryptodome {cfg['pycryptodome']}"),
        *_wrap(f"peers: {peers}"),
        f"cpu: {cfg['cpu']} ({cfg['machine']}), {cfg['cores']} cores; threads measured: "
        + ", ".join(map(str, cfg["threads"])),
        f"tier: {cfg['tier']} (" + (f"LEDGERVAL_CPU_FEATURES={env}: only those features are used)" if env is not None
                                    else "LEDGERVAL_CPU_FEATURES unset)"),
        *_wrap("cpu features the kernels may use: " + (" ".join(cfg["features"]) or "none (portable paths only)")),
    ]
    if cfg.get("paths"):
        lines += _wrap("paths: " + ", ".join(f"{k} {v}" for k, v in cfg["paths"].items()))
    if cfg.get("crypto_mb_note"):
        lines += _wrap("crypto_mb: " + cfg["crypto_mb_note"])
    if not cfg.get("native", True):
        lines += _wrap(f"WARNING: the compiled module ledgerval.native is missing ({cfg.get('native_error')}): "
                       "every row runs on the Numba or reference paths, far slower than an install; rebuild with "
                       "`python native/build_native.py` or reinstall with `pip install -e .`")
    return "\n".join(lines)

"""The configuration header: what was measured on, so a table can be read and compared."""
from __future__ import annotations

import importlib
import platform
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


def _native_paths() -> dict[str, str]:
    """Which implementation serves each primitive, from whatever the kernel modules expose."""
    out: dict[str, str] = {}
    for scheme, mod in (("ecdsa-secp256k1", "secp256k1"), ("ecdsa-p256", "p256"), ("ed25519", "ed25519"),
                        ("sm2", "sm2")):
        try:
            m = importlib.import_module("ledgerval.native." + mod)
        except ImportError:
            out[scheme] = "reference (native kernel not built)"
            continue
        if not getattr(m, "AVAILABLE", False):
            out[scheme] = "reference (native kernel not built)"
            continue
        path = getattr(m, "path", None) or getattr(m, "active_path", None)
        try:
            out[scheme] = "native " + (str(path()) if callable(path) else str(path) if path else "C")
        except Exception:  # a wrapper's introspection must never stop a benchmark
            out[scheme] = "native"
    try:
        hashing = importlib.import_module("ledgerval.hashing")
        paths = getattr(hashing, "paths", None)
        if callable(paths):
            for algo, p in dict(paths()).items():
                out[algo] = str(p)
    except Exception:
        pass
    return out


def collect(threads: list[int]) -> dict:
    import ledgerval
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
        "paths": _native_paths(),
    }
    try:
        from . import cryptomb

        if cryptomb.reason():
            cfg["peers"]["crypto_mb"] = None
            cfg["crypto_mb_note"] = cryptomb.reason()
    except Exception as exc:  # pragma: no cover
        cfg["crypto_mb_note"] = str(exc)
    return cfg


def format_header(cfg: dict) -> str:
    peers = ", ".join(f"{k} {v}" if v else f"{k} absent" for k, v in cfg["peers"].items())
    lines = [
        f"ledgerval {cfg['ledgerval']}  python {cfg['python']}  numpy {cfg['numpy']}  numba {cfg['numba']}  "
        f"cffi {cfg['cffi']}  pycryptodome {cfg['pycryptodome']}",
        f"peers: {peers}",
        f"cpu: {cfg['cpu']} ({cfg['machine']}), {cfg['cores']} cores; threads measured: "
        + ", ".join(map(str, cfg["threads"])),
        "cpu features the kernels may use: " + (" ".join(cfg["features"]) or "none (portable paths only)"),
    ]
    if cfg.get("paths"):
        lines.append("paths: " + "; ".join(f"{k}: {v}" for k, v in cfg["paths"].items()))
    if cfg.get("crypto_mb_note"):
        lines.append("crypto_mb: " + cfg["crypto_mb_note"])
    return "\n".join(lines)

"""Without the compiled module the package still imports and answers correctly on its reference paths,
and says so once, at import, naming how to build it (run in a subprocess that hides the module)."""
from __future__ import annotations

import os
import subprocess
import sys

_SCRIPT = """
import sys, warnings
sys.modules["ledgerval.native._lvnative"] = None   # the import of the compiled module now fails
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import ledgerval
    from ledgerval import native
    import ledgerval.native.hashes, ledgerval.native.secp256k1
print("AVAILABLE", native.AVAILABLE)
print("WARNINGS", len([w for w in caught if "not built" in str(w.message)]))
for w in caught:
    print("MESSAGE", w.category.__name__, w.message)
print("DIGEST", ledgerval.hash_batch("sha256", [b"abc"])[0].tobytes().hex())
"""


def test_unbuilt_module_warns_once_and_falls_back():
    # without LEDGERVAL_NATIVE_SO (the sanitizer run points it at its own build, loaded by path)
    env = {k: v for k, v in os.environ.items() if k != "LEDGERVAL_NATIVE_SO"}
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "AVAILABLE False" in lines
    assert "WARNINGS 1" in lines, out.stdout
    msg = next(x for x in lines if x.startswith("MESSAGE RuntimeWarning") and "not built" in x)
    assert "python native/build_native.py" in msg and "reference path" in msg
    assert "DIGEST ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in lines

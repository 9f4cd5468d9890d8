"""The benchmark table reads at a glance (120 columns, one headline ratio, notes), the header says the tier and
warns about a missing compiled module, and --plot draws a real picture."""
from __future__ import annotations

import pytest

from ledgerval.bench import config, plot, report
from ledgerval.bench.harness import Row


def _row(name, rate, peers, spread=0.0, path="native-avx512", sweep=None, stages=None):
    kind = name.split("/")[0]
    r = Row(name, kind, "item", items=4096, path=path)
    r.rates = {1: [rate * (1 - spread / 2), rate, rate * (1 + spread / 2)]}
    for t, v in (sweep or {}).items():
        r.rates[t] = [v]
    r.peers = {k: ({"absent": f"{k} not installed"} if v is None else
                   {"items_per_s": v, "ratio": rate / v, "spread": 0.01}) for k, v in peers.items()}
    r.stages = stages or {}
    r.extra = {"first_call_s": 0.004, "blocks": 3, "txs_per_block": 2000}
    return r


def _rows():
    return [
        _row("e2e/secp256k1-keccak256", 98000, {"loop:coincurve": 20000, "loop:cryptography": 9000},
             path="native-portable", sweep={2: 170000},
             stages={"decode": 1e-4, "tx_hash": 3e-4, "merkle": 4e-4, "signatures": 0.018, "total": 0.0205}),
        _row("verify/ecdsa-secp256k1/once", 100000, {"coincurve": 24000, "cryptography": 3000, "ref": 500},
             path="native-ifma"),
        _row("verify/sm2", 71000, {"tongsuopy": 3000, "crypto_mb": 61000, "ref": 300}, spread=0.5,
             path="native-ifma", sweep={2: 130000}),
        _row("hash/sm3", 15.5e6, {"hashlib": 790000, "tongsuopy": 180000, "crypto_mb": None, "ref": 3000}),
        _row("merkle/keccak256-rfc6962", 2.8e6, {"pycryptodome": 110000, "ref": 1250}, path="native-portable"),
    ]


def test_default_table_fits_120_columns_with_one_headline_per_row():
    text = report.render(_rows())
    lines = text.splitlines()
    assert max(map(len, lines)) <= report.WIDTH, max(lines, key=len)
    # the headline is the smallest ratio, against the fastest peer, named in the row
    sm2 = next(l for l in lines if l.startswith("verify/sm2 "))
    assert sm2.endswith("1.16x crypto_mb") and "tongsuopy" not in sm2 and "native-ifma" in sm2
    k1 = next(l for l in lines if l.startswith("verify/ecdsa-secp256k1/once"))
    assert k1.endswith("4.17x coincurve")
    e2e = next(l for l in lines if l.startswith("secp256k1-keccak256"))
    assert e2e.endswith("4.90x loop:coincurve") and "native-portable" in e2e and "88%" in e2e
    # the reference path's ratio is not a headline; it and the other peers wait for --wide
    assert "236.67x" not in text and "ref" not in next(l for l in lines if l.startswith("primitive "))


def test_absent_peers_listed_once_at_the_end():
    text = report.render(_rows() + [_row("verify/ed25519", 1e5, {"crypto_mb": None, "pynacl": 1e4})])
    assert text.count("crypto_mb not installed") == 1
    tail = text.split("Absent peers", 1)[1]
    assert "crypto_mb: crypto_mb not installed" in tail
    assert "absent" not in text.split("Absent peers", 1)[0]


def test_noisy_rows_get_a_mark_and_a_note():
    lines = report.render(_rows()).splitlines()
    assert "50% !" in next(l for l in lines if l.startswith("verify/sm2 "))
    assert "!" not in next(l for l in lines if l.startswith("hash/sm3"))
    assert any(l.startswith("! spread above 20%") for l in lines)
    # a noisy headline peer marks the row too
    r = _row("hash/sha256", 1e7, {"hashlib": 1e6})
    r.peers["hashlib"]["spread"] = 0.3
    assert report.noisy(r)
    quiet = [_row("hash/sha256", 1e7, {"hashlib": 1e6})]
    assert "spread above" not in report.render(quiet)


def test_wide_adds_every_peer_ref_and_stages():
    text = report.render(_rows(), wide=True)
    head = next(l for l in text.splitlines() if l.startswith("primitive ")).split()
    assert head[-1] == "ref" and {"coincurve", "cryptography", "tongsuopy", "crypto_mb", "hashlib"} <= set(head)
    assert "236.67x" in text  # verify/sm2 against ref: 71000 / 300
    e2e_head = next(l for l in text.splitlines() if l.startswith("end to end "))
    assert "signatures ms" in e2e_head and "loop:cryptography" in e2e_head


def test_sweep_has_the_share_of_ideal():
    text = report.sweep_table(_rows())
    line = next(l for l in text.splitlines() if l.startswith("verify/sm2"))
    assert line.split()[-2:] == ["1.83x", "92%"]


def test_per_item_units():
    assert report.per_item(1e5) == "10 us" and report.per_item(15.5e6) == "64.5 ns"
    assert report.per_item(500) == "2 ms" and report.per_item(0) == "-"


def _cfg(**kw):
    cfg = config.collect([1, 2])
    cfg.update(kw)
    return cfg


def test_header_names_the_tier_and_fits():
    text = config.format_header(_cfg())
    from ledgerval.native import tier

    assert f"tier: {tier()} " in text and "paths: ecdsa-secp256k1 " in text
    assert max(map(len, text.splitlines())) <= 120
    capped = config.format_header(_cfg(tier="avx2", cpu_features_env="SSE41,AVX2,BMI2,ADX,SHA"))
    assert "tier: avx2 (LEDGERVAL_CPU_FEATURES=SSE41,AVX2,BMI2,ADX,SHA: only those features are used)" in capped
    assert "WARNING" not in text


def test_header_warns_when_the_compiled_module_is_missing():
    text = config.format_header(_cfg(native=False, native_error="No module named 'ledgerval.native._lvnative'"))
    warn = text[text.index("WARNING"):]
    assert "compiled module ledgerval.native is missing" in warn and "_lvnative" in warn
    assert "build_native.py" in warn and max(map(len, text.splitlines())) <= 120


def test_plot_png_is_a_real_picture(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    png = tmp_path / "bench.png"
    cfg = {"cpu": "Test CPU 9000", "cores": 2, "tier": "avx2", "date": "2026-12-03"}
    assert plot.draw(_rows(), str(png), cfg) is None
    img = matplotlib.image.imread(str(png))
    h, w = img.shape[:2]
    assert w >= 1200 and h >= 400, (w, h)
    rgb = img[..., :3]
    ink = (rgb < 0.9).any(axis=-1).mean()  # share of pixels that are not (near) white
    assert 0.03 < ink < 0.9, ink
    # the four family colors are there (bars), not just black text and axes
    colors = {tuple((c * 255).round().astype(int)) for c in rgb.reshape(-1, 3)[::7]}
    for hexcolor in plot.FAMILY_COLORS.values():
        want = tuple(int(hexcolor[i:i + 2], 16) for i in (1, 3, 5))
        assert want in colors, hexcolor
    assert "Test CPU 9000" in plot.title(cfg) and "tier avx2" in plot.title(cfg) and "2026-12-03" in plot.title(cfg)


def test_plot_without_rows_or_matplotlib(tmp_path, monkeypatch):
    assert plot.draw([], str(tmp_path / "x.png")) == "nothing to plot"
    import builtins

    real = builtins.__import__

    def no_mpl(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    assert "pip install 'ledgerval[plot]'" in plot.draw(_rows(), str(tmp_path / "x.png"))

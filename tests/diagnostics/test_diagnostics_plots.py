"""PNG figures (report extra) and the light, lazy public namespace."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from noisyprobe.errors import MissingExtraError

PNG = b"\x89PNG\r\n\x1a\n"


def test_figures_are_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    from noisyprobe.diagnostics import plots
    from noisyprobe.diagnostics.small_loss import loss_densities
    from noisyprobe.diagnostics.spectrum import singular_values
    from noisyprobe.diagnostics.summaries import moment_summary

    rng = np.random.default_rng(0)
    x = rng.exponential(size=(300, 6))
    x[:, 0] = 1.0  # a constant feature (NaN moments) must not break the histogram
    summaries = {"a": moment_summary(x), "b": moment_summary(rng.normal(size=(300, 6)))}
    outs = [
        plots.plot_moment_histograms(summaries, tmp_path / "m.png"),
        plots.plot_singular_spectra({"a": singular_values(x)}, tmp_path / "sub" / "s.png"),
        plots.plot_loss_densities(
            {
                "lp": {
                    **loss_densities(rng.gamma(1, 0.3, 200), rng.gamma(3, 0.5, 50)),
                    "overlap": 0.4,
                },
                "gce": loss_densities(rng.gamma(1, 0.3, 200), rng.gamma(2, 0.5, 50)),
            },
            tmp_path / "l.png",
            title="t",
        ),
    ]
    for out in outs:
        assert out.read_bytes()[:8] == PNG
    assert not list(tmp_path.glob(".*.tmp"))


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    from noisyprobe.diagnostics import plots

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"noisyprobe\[report\]"):
        plots.check_plotting()
    with pytest.raises(MissingExtraError, match="matplotlib"):
        plots.plot_singular_spectra({"a": np.ones(3)}, tmp_path / "s.png")
    assert not (tmp_path / "s.png").exists()


def test_namespace_is_lazy_and_complete():
    code = (
        "import json, sys, noisyprobe.diagnostics as d; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"torch", "matplotlib", "sklearn", "scipy"}
    import noisyprobe.diagnostics as d

    for name in d.__all__:
        assert callable(getattr(d, name)), name
    with pytest.raises(AttributeError):
        d.no_such_diagnostic  # noqa: B018

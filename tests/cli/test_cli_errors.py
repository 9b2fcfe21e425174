"""System errors and bad input come out of the CLI as one line with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from noisyprobe.cli import main, system_error_message


@pytest.fixture
def fs_path(tmp_path, toy_featureset):
    return toy_featureset.save(tmp_path / "fs")


def _fit(fs_path, *extra):
    return main(
        [
            "fit",
            "--features",
            str(fs_path),
            "--method",
            "lp",
            "--seeds",
            "0",
            "--epochs",
            "1",
            "--no-progress",
            *extra,
        ]
    )


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def test_fit_out_is_a_directory_is_refused_before_training(fs_path, tmp_path, capsys):
    assert _fit(fs_path, "--out", str(tmp_path)) == 2
    captured = capsys.readouterr()
    assert "is a directory" in captured.err and captured.err.count("\n") == 1
    assert "mean ± std" not in captured.out  # no training happened


def test_fit_rate_uses_the_spec_validator(fs_path, capsys):
    assert _fit(fs_path, "--noise", "symmetric", "--rate", "1.0") == 2
    assert "[0, 1)" in _one_line_error(capsys)
    assert _fit(fs_path, "--noise", "symmetric", "--rate", "nan") == 2
    assert "[0, 1)" in _one_line_error(capsys)


def test_fit_seeds_have_an_upper_bound(fs_path, capsys):
    assert _fit(fs_path, "--seeds", "0-50000000") == 2
    assert "at most 10000" in _one_line_error(capsys)
    assert _fit(fs_path, "--seeds", "99999999999") == 2
    assert "out of range" in _one_line_error(capsys)


def test_malformed_manifest_sha256_is_one_line(fs_path, capsys):
    manifest = json.loads((fs_path / "manifest.json").read_text())
    manifest["sha256"] = {"features.npy": 12}
    (fs_path / "manifest.json").write_text(json.dumps(manifest))
    assert _fit(fs_path) == 2
    assert "malformed sha256" in _one_line_error(capsys)
    manifest["sha256"] = "abc"
    (fs_path / "manifest.json").write_text(json.dumps(manifest))
    assert _fit(fs_path) == 2
    assert "sha256" in _one_line_error(capsys)


def test_corrupt_npy_header_names_the_file_without_pickle_hint(fs_path, capsys):
    from noisyprobe._io import sha256_file

    labels = fs_path / "labels.npy"
    raw = labels.read_bytes()
    labels.write_bytes(raw[:8] + b"\x00" * 20 + raw[28:])
    manifest = json.loads((fs_path / "manifest.json").read_text())
    manifest["sha256"]["labels.npy"] = sha256_file(labels)
    (fs_path / "manifest.json").write_text(json.dumps(manifest))
    assert _fit(fs_path) == 2
    err = _one_line_error(capsys)
    assert "labels.npy" in err and "allow_pickle" not in err


def test_nan_feature_in_a_test_row_is_named(tmp_path, toy_featureset, capsys):
    from noisyprobe.features.store import FeatureSet

    feats = np.array(toy_featureset.features)
    test_row = int(np.flatnonzero(toy_featureset.splits == "test")[3])
    feats[test_row, 2] = np.nan
    fs = FeatureSet(feats, toy_featureset.labels, toy_featureset.splits, check_finite=False)
    path = fs.save(tmp_path / "nan")
    assert _fit(path) == 2
    err = _one_line_error(capsys)
    assert f"sample {test_row}" in err and "probs" not in err


@pytest.mark.parametrize(
    ("exc", "needle"),
    [
        (OSError(30, "Read-only file system", "/x/out.json"), "Read-only file system: /x/out.json"),
        (OSError(27, "File too large", "big.npy"), "File too large"),
        (MemoryError(), "out of memory"),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: 10 TB"), "out of memory"),
    ],
)
def test_system_errors_map_to_one_line_and_exit_2(monkeypatch, capsys, exc, needle):
    import sqlite3

    from noisyprobe.commands import fit

    def boom(args):
        raise exc

    monkeypatch.setattr(fit, "run", boom)
    assert _fit("unused") == 2
    assert needle in _one_line_error(capsys)
    assert (
        system_error_message(sqlite3.OperationalError("disk I/O error")) == "SQLite: disk I/O error"
    )


def test_pickled_weights_message_is_one_line():
    import pickle

    msg = system_error_message(pickle.UnpicklingError("Weights only load failed.\nline two"))
    assert "\n" not in msg and "pickled" in msg


def test_real_bugs_still_raise(monkeypatch):
    from noisyprobe.commands import fit

    def boom(args):
        raise ZeroDivisionError

    monkeypatch.setattr(fit, "run", boom)
    with pytest.raises(ZeroDivisionError):
        _fit("unused")


def test_huge_hidden_size_is_one_line(fs_path, capsys):
    assert _fit(fs_path, "--method", "mlp", "--param", "hidden=1000000000000") == 2
    # refused before allocating (the stack size is checked against available memory)
    assert "heads too large" in _one_line_error(capsys)


class _Payload:
    pass


def test_pickled_weight_file_is_refused_in_one_line(tmp_path):
    import pickle

    import torch

    from noisyprobe.backbones._weights import load_state_dict

    file = tmp_path / "pytorch_model.bin"
    torch.save({"w": _Payload()}, file)
    with pytest.raises(pickle.UnpicklingError) as info:
        load_state_dict(file)
    message = system_error_message(info.value)
    assert "\n" not in message and "pickled" in message


def test_fit_out_under_a_file_is_refused_before_training(fs_path, tmp_path, capsys):
    (tmp_path / "plain").write_text("x")
    assert _fit(fs_path, "--out", str(tmp_path / "plain" / "res.json")) == 2
    captured = capsys.readouterr()
    assert "not a directory" in captured.err and "mean ± std" not in captured.out

"""The docstrings' examples are part of the suite: a stale example fails here."""

import doctest
import importlib
import pkgutil

import pytest

import noisyprobe

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(noisyprobe.__path__, prefix="noisyprobe.")
    if not info.name.endswith(".__main__")  # the CLI entry point runs on import
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"

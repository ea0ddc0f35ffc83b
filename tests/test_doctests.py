"""The usage examples in the package's docstrings run and say what they show (``doctest``)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import qa

MODULES = sorted(m.name for m in pkgutil.walk_packages(qa.__path__, "qa.") if not m.name.startswith("qa.weights") and m.name != "qa.__main__")


def test_every_module_is_found():
    assert {"qa.ingest.split", "qa.index.base", "qa.retrieval", "qa.ui.format"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest(s) failed in {name}"

"""The examples in the docstrings of every module of src/v1lab run and print what they show.

One test per docstring, found with the standard library's ``doctest`` (as ``pytest --doctest-modules`` would, which
cannot be pointed at src/v1lab alone: under tests/ it would import each conftest.py as a module of its own).
Collecting imports every module except ``v1lab.__main__``; importing has no side effects.
"""

import doctest
import importlib
import pkgutil

import pytest

import v1lab

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _examples() -> list:
    finder = doctest.DocTestFinder()
    found = []
    for info in pkgutil.walk_packages(v1lab.__path__, "v1lab."):
        if info.name == "v1lab.__main__":
            continue
        found += [pytest.param(test, id=test.name) for test in finder.find(importlib.import_module(info.name))
                  if test.examples]
    return found


@pytest.mark.parametrize("examples", _examples())
def test_docstring_examples(examples):
    report = []
    result = doctest.DocTestRunner(optionflags=FLAGS).run(examples, out=report.append, clear_globs=False)
    assert result.failed == 0, "".join(report)

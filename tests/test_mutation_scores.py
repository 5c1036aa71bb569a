"""scripts/mutation_scores.py on a planted mutmut results folder: each exit code counted as its status, the
listed equivalent mutants left out, the score computed by hand."""

import json
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "mutation_scores.py"
EQUIVALENT = "v1lab.metrics.size.x_surround_suppression_index__mutmut_23"


@pytest.fixture
def main(monkeypatch, tmp_path):
    meta = tmp_path / "mutants" / "src" / "v1lab" / "metrics" / "size.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"killed": 1, "survived": 0, "timed_out": -24, "no_tests": 33, "not_run": None}
    keys = {f"v1lab.metrics.size.x_{name}__mutmut_1": code for name, code in codes.items()}
    meta.write_text(json.dumps({"exit_code_by_key": {**keys, EQUIVALENT: 0}}))
    monkeypatch.chdir(tmp_path)
    return runpy.run_path(str(SCRIPT))["main"]


def test_the_score_is_killed_over_killed_survived_and_unreached_with_timeouts_killed(main, capsys):
    """killed 1 + timeout 1 = 2; survived 1, no tests 1: 2 / 4 = 50 %; the equivalent and the unrun apart."""
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["v1lab.metrics.size", "2", "1", "1", "1", "1", "50.0%"]
    assert lines[2].split() == ["total", "2", "1", "1", "1", "1", "50.0%"]
    assert len(lines) == 3


def test_survivors_are_listed_after_the_table_and_timeouts_alone(main, capsys):
    main(["--survivors"])
    assert capsys.readouterr().out.splitlines()[3:] == ["v1lab.metrics.size.x_no_tests__mutmut_1",
                                                        "v1lab.metrics.size.x_survived__mutmut_1"]
    main(["--timeouts"])
    assert capsys.readouterr().out.splitlines() == ["v1lab.metrics.size.x_timed_out__mutmut_1"]


def test_without_results_it_says_so_in_one_line_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert runpy.run_path(str(SCRIPT))["main"]([]) == 2
    assert capsys.readouterr().err.strip() == ("v1lab: error: mutants/: no mutmut results, expected a `make "
                                               "mutation` run first")

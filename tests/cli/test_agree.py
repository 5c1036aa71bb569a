"""`v1lab agree`: two runs' unit tables compared layer by layer; exit 0 / 1 / 2 like diff."""

import numpy as np
import pandas as pd

from v1lab.agreement import compare_runs
from v1lab.cli import main


def _units(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "model": "net", "layer": np.repeat(["a", "b"], n // 2), "channel": np.tile(np.arange(n // 2), 2),
        "responsive": True, "circular_variance": rng.uniform(0.2, 0.9, n), "peak_sf_cpd": rng.uniform(1, 8, n),
        "simple": rng.random(n) < 0.5,
    })


def _run(tmp_path, name, units, fmt="csv"):
    folder = tmp_path / name
    folder.mkdir()
    if fmt == "csv":
        units.to_csv(folder / "units.csv", index=False)
    else:
        units.to_parquet(folder / "units.parquet", index=False)
    return folder


def test_identical_runs_agree_in_any_row_order_and_format(tmp_path, capsys):
    units = _units()
    a = _run(tmp_path, "a", units)
    b = _run(tmp_path, "b", units.iloc[::-1], fmt="parquet")
    assert main(["agree", str(a), str(b), "--out", str(tmp_path / "agree.csv")]) == 0
    out = capsys.readouterr().out
    assert "net a: 0 of 6 metric values and 0 of 6 class values disagree" in out  # responsive, simple
    table = pd.read_csv(tmp_path / "agree.csv")
    assert set(table["layer"]) == {"a", "b"} and (table["disagree"] == 0).all()


def test_a_planted_difference_is_reported_with_exit_code_1(tmp_path, capsys):
    units = _units()
    other = units.copy()
    other.loc[4, "peak_sf_cpd"] *= 1.01
    other.loc[0, "simple"] = not other.loc[0, "simple"]
    a, b = _run(tmp_path, "a", units), _run(tmp_path, "b", other)
    assert main(["agree", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "net b: peak_sf_cpd: 1 of 3 disagree" in out and "net a: simple: 1 of 3 disagree" in out
    result = compare_runs(a, b, rtol=0.02).set_index(["layer", "column"])  # 1 % is within 2 %
    assert result.loc[("b", "peak_sf_cpd"), "disagree"] == 0


def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys):
    a = _run(tmp_path, "a", _units())
    fewer = _run(tmp_path, "fewer", _units().iloc[:5])
    assert main(["agree", str(a), str(tmp_path / "missing")]) == 2
    assert main(["agree", str(a), str(fewer)]) == 2
    assert main(["agree", str(a), str(a), "--rtol", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("v1lab: error: ") for line in err)
    assert "missing: no units.parquet or units.csv" in err[0] and "different units" in err[1] and "--rtol" in err[2]

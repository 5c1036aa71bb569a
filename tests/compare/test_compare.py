"""v1lab compare on planted runs: a strong difference in a fraction is significant after Holm, equal
distributions are not; report, tables, ranking and the command line."""

import re

import pandas as pd
import pytest
from planted_runs import planted_run

from v1lab.cli import main
from v1lab.compare import compare_models, fraction_tests, holm, metric_tests, write_comparison
from v1lab.errors import RunFolderError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    return [planted_run(tmp / "a", "python:/x/nets.py:make", 0.2, seed=1),
            planted_run(tmp / "b", "checkpoint:/y/epoch90.pth?arch=resnet34-plain", 0.8, seed=2),
            planted_run(tmp / "c", "squeezenet1.1", 0.2, seed=3, layers=("conv1",))]


@pytest.fixture(scope="module")
def two(runs):
    return compare_models(runs[:2])


def _test(tests, quantity, layer, test):
    return tests[(tests["quantity"] == quantity) & (tests["layer"] == layer) & (tests["test"] == test)].iloc[0]


def test_a_planted_fraction_difference_is_significant_after_holm(two):
    for layer in ("conv1", "layer1"):
        row = _test(two.tests, "orientation_selective", layer, "fisher_exact")
        assert row["significant"] and row["p_holm"] < 1e-6
        assert 0.45 < row["difference"] < 0.75 and row["ci_low"] < row["difference"] < row["ci_high"]


def test_identical_distributions_are_not_significant(two):
    metrics = two.tests[(two.tests["kind"] == "metric") & two.tests["quantity"].isin(
        ["circular_variance", "peak_sf_cpd", "modulation_ratio"])]
    assert len(metrics) == 2 * 3 * 2 and not metrics["significant"].any()
    assert not _test(two.tests, "simple", "conv1", "fisher_exact")["significant"]


def test_holm_covers_every_test(two):
    tested = two.tests[two.tests["p_value"].notna()]
    assert (tested["p_holm"] >= tested["p_value"]).all()
    assert two.tests["p_holm"].isna().equals(two.tests["p_value"].isna())


def test_labels_layers_and_ranking(two, runs):
    assert two.labels == ["nets.py:make", "epoch90.pth"]
    assert two.layers == ["conv1", "layer1"] and set(two.units["model"]) == set(two.labels)
    assert list(two.ranking["rank"]) == [1, 2] and set(two.ranking["label"]) == set(two.labels)
    assert set(two.scores["layer"]) == {"conv1", "layer1"}


def test_three_runs_match_common_layers_and_add_omnibus_tests(runs):
    three = compare_models(runs)
    assert three.layers == ["conv1"] and any("layer1" in n for n in three.notes)
    assert {"chi2", "kruskal", "fisher_exact", "mann_whitney", "ks"} <= set(three.tests["test"])
    assert set(three.tests["layer"]) == {"conv1"}


def test_report_is_self_contained(two, tmp_path):
    report = write_comparison(two, tmp_path / "cmp")
    text = report.read_text()
    assert "data:image/png;base64," in text and "figures/distribution_circular_variance.pdf" in text
    assert not re.search(r"""(src|href)=["']https?://""", text)
    assert "overlaid on macaque V1 (grey: ringach2002_circular_variance" in text
    assert "modulation_ratio: runs overlaid on macaque V1 (grey: ringach2002_modulation_ratio" in text
    for name in ("runs", "tests", "population", "scores", "ranking"):
        assert (tmp_path / "cmp" / f"{name}.csv").is_file()
    assert (tmp_path / "cmp" / "figures" / "fractions.pdf").is_file()
    assert len(pd.read_csv(tmp_path / "cmp" / "tests.csv")) == len(two.tests)


def test_report_without_figures_keeps_the_tables(two, tmp_path):
    text = write_comparison(two, tmp_path / "bare", figures=False).read_text()
    assert "data:image" not in text and "Figures not drawn" in text and "fisher_exact" in text
    assert not (tmp_path / "bare" / "figures").exists() and (tmp_path / "bare" / "tests.csv").is_file()


def test_errors(runs, tmp_path):
    with pytest.raises(RunFolderError, match="at least two"):
        compare_models(runs[:1])
    with pytest.raises(RunFolderError, match="distinct label"):
        compare_models(runs[:2], labels=["x", "x"])


def test_command_line(runs, tmp_path, capsys):
    assert main(["compare", str(runs[0]), str(runs[1]), "--labels", "A,B", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "significant after Holm" in out and (tmp_path / "o" / "report.html").is_file()
    assert main(["compare", str(runs[0]), "--out", str(tmp_path / "p")]) == 2


def test_group_tests_directly():
    from planted_runs import planted_units

    units = pd.concat([planted_units("a", 0.5, seed=4), planted_units("b", 0.5, seed=5)], ignore_index=True)
    tests = holm(fraction_tests(units, ["a", "b"]), metric_tests(units, ["a", "b"]))
    assert not tests["significant"].any()
    assert set(tests["test"]) == {"fisher_exact", "mann_whitney", "ks"}

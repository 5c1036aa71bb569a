"""The lesion machinery on a network with a planted essential and a planted useless conv1 channel."""

import numpy as np
import pandas as pd
import pytest
import torch

from statsmodels.stats.multitest import multipletests

from planted import ESSENTIAL, USELESS
from v1lab.lesion import LesionConfig, LesionEngine, TensorImages, config_text, run_lesion_experiment
from v1lab.runs.folder import RunFolder


def _run(net, imgs, path, **options):
    options = {"n_random": 20, **options}
    config = LesionConfig(images="synthetic", batch_size=64, n_bootstrap=200, **options)
    folder = RunFolder.create(path.parent, path.name, out=path)
    folder.start(protocol_text=config_text(config, "planted"), model_spec="planted", weights_sha256=None,
                 device="cpu", seed=config.seed)
    identity = lambda x: x  # noqa: E731  (the planted net takes display RGB)
    return run_lesion_experiment(net, identity, TensorImages(*imgs), config, folder=folder, progress=False)


def _units_table(path):
    """Class groups: 'double_opponent' is the essential unit alone, 'not_responsive' the useless one."""
    channels = range(8)
    pd.DataFrame({"model": "planted", "layer": "conv1", "channel": channels,
                  "double_opponent": [c == ESSENTIAL for c in channels], "single_opponent": False,
                  "orientation_selective": False, "simple": False,
                  "responsive": [c != USELESS for c in channels], "cell_class": None}).to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    import planted

    net = planted.make()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    tmp = tmp_path_factory.mktemp("lesion")
    res = _run(net, planted.images(n=160), tmp / "run", units_table=_units_table(tmp / "units.csv"))
    return res, net, before


def test_silenced_module_is_the_relu_after_conv1(result):
    assert result[0].silenced == "relu"


def test_inactive_definitions_flag_the_useless_channel_only(result):
    table = result[0].inactive.set_index("channel")
    for definition in ("filter_norm", "sparsity", "natural_mean"):
        assert table[f"inactive_{definition}"].to_numpy().nonzero()[0].tolist() == [USELESS], definition
    assert table.loc[USELESS, "filter_norm_ratio"] == pytest.approx(0.01 / table["filter_norm"].max(), rel=1e-6)
    assert table.loc[USELESS, "sparsity"] == 1.0
    assert table["stimulus_max"].isna().all() and not table["inactive_stimulus_max"].any()


def test_essential_channel_is_significant_useless_is_not(result):
    single = pd.read_csv(result[0].folder / "single_unit.csv").set_index("channel")
    essential, useless = single.loc[ESSENTIAL], single.loc[USELESS]
    assert essential["delta_top1"] < -0.3
    assert essential["mcnemar_p_holm"] < 1e-6 and essential["wilcoxon_p_holm"] < 1e-6
    assert essential["delta_top1_ci_high"] < 0
    assert useless["delta_top1"] == 0 and useless["mean_delta_logp"] == 0
    assert useless["mcnemar_p"] == 1.0 and useless["wilcoxon_p"] == 1.0
    # The essential unit is the only one whose loss matters after correction.
    assert (single["mcnemar_p_holm"] < 0.05).to_numpy().nonzero()[0].tolist() == [ESSENTIAL]


def _null(lesions, tested, null):
    return lesions[(lesions["kind"] == "random") & (lesions["definition"] == tested["set_id"])
                   & (lesions["null"] == null)]


def test_inactive_set_against_matched_and_random_active_nulls(result):
    lesions = result[0].lesions
    tested = lesions[(lesions["kind"] == "inactive") & (lesions["definition"] == "filter_norm")].iloc[0]
    random = _null(lesions, tested, "random-active")
    assert len(random) == 20 and tested["random_active_n"] == 20
    assert all(str(USELESS) not in c.split() for c in random["channels"])  # drawn from the active units
    expected = (np.sum(random["mean_delta_logp"] >= 0) + 1) / 21  # Phipson & Smyth, upper tail
    assert tested["random_active_p_logp"] == pytest.approx(min(1.0, 2 * expected))
    # The matched null draws from the useless unit's filter-norm stratum: itself and its nearest neighbour in
    # filter norm (the essential unit, norm 1.0); null sets that hit the essential unit cost far more.
    matched = _null(lesions, tested, "matched")
    assert len(matched) == 20 and set(matched["channels"]) == {str(USELESS), str(ESSENTIAL)}
    hit = matched["channels"] == str(ESSENTIAL)
    assert (matched.loc[hit, "mean_delta_logp"] < -1).all() and (matched.loc[~hit, "mean_delta_logp"] == 0).all()
    assert tested["matched_p_logp"] == pytest.approx(min(1.0, 2 * (np.sum(~hit) + 1) / 21))
    # ... and it is matched on filter norm, closer than the random-active null.
    matching = pd.read_csv(result[0].folder / "matching.csv").set_index(["set_id", "null"])
    m, r = matching.loc[(tested["set_id"], "matched")], matching.loc[(tested["set_id"], "random-active")]
    assert m["property"] == "filter_norm" and m["pool"] == 2 and m["strata"] == 1
    assert abs(m["null_property_mean"] - m["tested_property_mean"]) < abs(r["null_property_mean"]
                                                                          - r["tested_property_mean"])
    assert m["ks"] < r["ks"] == 1.0
    # Class groups are matched on class_property (natural_mean by default).
    assert set(matching.xs("matched", level="null").query("set_id.str.startswith('class')")["property"]) == {
        "natural_mean"}


def test_planted_channels_recovered_under_the_new_null_and_holm(result):
    lesions = result[0].lesions.set_index("set_id")
    essential, useless = lesions.loc["class-double_opponent"], lesions.loc["inactive-filter_norm"]
    assert essential["channels"] == str(ESSENTIAL) and useless["channels"] == str(USELESS)
    assert essential["mcnemar_p_holm"] < 1e-6 and essential["delta_top1_ci_high"] < 0
    for name in ("inactive-filter_norm", "inactive-sparsity", "inactive-natural_mean", "class-not_responsive"):
        assert lesions.loc[name, "mcnemar_p_holm"] == 1.0 and lesions.loc[name, "delta_top1"] == 0
    # Against units of the same natural-image activity, the essential unit costs more than most.
    assert essential["matched_rank_logp"] > 0.5 > lesions.loc["class-not_responsive", "matched_rank_logp"]
    tested = lesions[lesions["kind"].isin(["inactive", "class"])]
    verdicts = dict(zip(tested["definition"], result[0].verdicts))   # one verdict per tested set, in order
    assert all(v.startswith(f"Silencing the {k} ") for k, v in verdicts.items())
    assert "a significant effect" in verdicts["double_opponent"]
    assert all("no significant effect" in verdicts[k] for k in ("filter_norm", "sparsity", "natural_mean",
                                                              "not_responsive"))
    assert "sets matched on natural_mean" in verdicts["double_opponent"]
    assert "sets matched on filter_norm" in verdicts["filter_norm"]


def test_holm_over_every_test_of_the_run(result):
    folder, lesions = result[0].folder, result[0].lesions
    tests = pd.read_csv(folder / "tests.csv")
    counted = lesions[lesions["kind"] != "random"]
    p_columns = ["mcnemar_p", "mcnemar_top5_p", "wilcoxon_p", "matched_p_top1", "matched_p_logp",
                 "random_active_p_top1", "random_active_p_logp"]
    assert len(tests) == counted[p_columns].notna().to_numpy().sum()   # every test of every set, one family
    assert (tests["p_holm"] >= tests["p"]).all()
    np.testing.assert_allclose(tests["p_holm"], multipletests(tests["p"], method="holm")[1])
    primary = tests[tests["role"] == "primary"]
    assert (primary["test"] == "mcnemar_p").all() and primary["set_id"].is_unique
    assert set(primary["set_id"]) == set(counted["set_id"])
    row = lesions.set_index("set_id").loc["inactive-filter_norm"]
    got = tests[tests["set_id"] == "inactive-filter_norm"].set_index("test")["p_holm"]
    assert all(row[f"{test}_holm"] == p for test, p in got.items())
    assert f"all {len(tests)} tests of the run" in (folder / "notes.txt").read_text()
    assert "2/21 = 0.0952" in (folder / "notes.txt").read_text()


def test_lesion_progress_counts_images_of_every_set(planted_net, planted_images):
    class Bar:
        def __init__(self):
            self.steps = []

        def update(self, n):
            self.steps.append(n)

    engine = LesionEngine(planted_net, lambda x: x, "relu", progress=False)
    bar = Bar()
    engine.lesion(TensorImages(*planted_images), [(0,), (1,), (2, 3)], batch_size=64, bar=bar)
    assert bar.steps == [64, 64, 64, 64, 64, 64, 32, 32, 32] and sum(bar.steps) == 3 * 160


def test_weights_unchanged_and_no_hook_left(result):
    _, net, before = result
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())


def test_files_written(result):
    folder = result[0].folder
    for name in ("inactive.csv", "lesion.csv", "single_unit.csv", "null.csv", "matching.csv", "tests.csv",
                 "verdicts.txt", "notes.txt", "baseline.npz", "single_unit.png", "null.png", "manifest.json"):
        assert (folder / name).is_file(), name
    assert (folder / "null.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_numbers_and_resume(result, tmp_path, planted_net, planted_images):
    first = pd.read_csv(result[0].folder / "lesion.csv")
    units = str(result[0].folder.parent / "units.csv")
    again = _run(planted_net, planted_images, tmp_path / "again", units_table=units)
    pd.testing.assert_frame_equal(first, pd.read_csv(again.folder / "lesion.csv"))
    other = _run(planted_net, planted_images, tmp_path / "other", seed=1)
    assert not first["channels"].equals(pd.read_csv(other.folder / "lesion.csv")["channels"])
    # Resume: delete half the per-set results; the kept ones are not recomputed, the rest are.
    sets = sorted((again.folder / "sets").glob("*.npz"))
    kept = {p: p.stat().st_mtime_ns for p in sets[::2]}
    for p in sets[1::2]:
        p.unlink()
    (again.folder / "lesion.csv").unlink()
    folder = RunFolder(again.folder)
    resumed = run_lesion_experiment(planted_net, lambda x: x, TensorImages(*planted_images),
                                    LesionConfig(images="synthetic", n_random=20, batch_size=64, n_bootstrap=200,
                                                 units_table=units),
                                    folder=folder, progress=False)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())
    assert len(resumed.lesions) == len(first)
    pd.testing.assert_frame_equal(first, pd.read_csv(again.folder / "lesion.csv"))


def test_mean_mode_fills_with_natural_mean(tmp_path, planted_net, planted_images):
    res = _run(planted_net, planted_images, tmp_path / "mean", mode="mean", n_random=0)
    single = pd.read_csv(res.folder / "single_unit.csv").set_index("channel")
    # The useless channel's natural mean is 0, so mean-filling it changes nothing; filling the red detector
    # with its mean makes every image look average-red: about half the images become wrong.
    assert single.loc[USELESS, "mean_delta_logp"] == 0
    assert single.loc[ESSENTIAL, "delta_top1"] < -0.3
    assert not (res.folder / "null.csv").read_text().strip().count("\n")

"""The lesion machinery on a network with a planted essential and a planted useless conv1 channel."""

import numpy as np
import pandas as pd
import pytest
import torch

from planted import ESSENTIAL, USELESS
from v1lab.lesion import LesionConfig, TensorImages, config_text, run_lesion_experiment
from v1lab.protocol.run_folder import RunFolder


def _run(net, imgs, path, **options):
    options = {"n_random": 20, **options}
    config = LesionConfig(images="synthetic", batch_size=64, n_bootstrap=200, **options)
    folder = RunFolder.create(path.parent, path.name, out=path)
    folder.start(protocol_text=config_text(config, "planted"), model_spec="planted", weights_sha256=None,
                 device="cpu", seed=config.seed)
    identity = lambda x: x  # noqa: E731  (the planted net takes display RGB)
    return run_lesion_experiment(net, identity, TensorImages(*imgs), config, folder=folder, progress=False)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    import planted

    net = planted.make()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    res = _run(net, planted.images(n=160), tmp_path_factory.mktemp("lesion") / "run")
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


def test_inactive_set_against_random_null(result):
    lesions = result[0].lesions
    tested = lesions[(lesions["kind"] == "inactive") & (lesions["definition"] == "filter_norm")].iloc[0]
    null = lesions[(lesions["kind"] == "random") & (lesions["definition"] == tested["set_id"])]
    assert len(null) == 20 and tested["null_n"] == 20
    assert all(str(USELESS) not in c.split() for c in null["channels"])  # drawn from the active units
    # Null draws that hit the essential unit drop the log-probability far more than the useless one does.
    hit = null["channels"] == str(ESSENTIAL)
    assert hit.any() and (null.loc[hit, "mean_delta_logp"] < -1).all()
    expected = (np.sum(null["mean_delta_logp"] >= 0) + 1) / 21  # Phipson & Smyth, upper tail
    assert tested["perm_p_logp"] == pytest.approx(min(1.0, 2 * min(expected, 1.0)))
    assert any("filter_norm inactive units (1 unit)" in v for v in result[0].verdicts)


def test_weights_unchanged_and_no_hook_left(result):
    _, net, before = result
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())


def test_files_written(result):
    folder = result[0].folder
    for name in ("inactive.csv", "lesion.csv", "single_unit.csv", "null.csv", "verdicts.txt", "baseline.npz",
                 "single_unit.png", "null.png", "manifest.json"):
        assert (folder / name).is_file(), name
    assert (folder / "null.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_numbers_and_resume(result, tmp_path, planted_net, planted_images):
    first = pd.read_csv(result[0].folder / "lesion.csv")
    again = _run(planted_net, planted_images, tmp_path / "again")
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
                                    LesionConfig(images="synthetic", n_random=20, batch_size=64, n_bootstrap=200),
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

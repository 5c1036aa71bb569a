"""Block-drop lesions: the fast path (tails after a cut) equals a hook on the full network; table and folder."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from nets import make
from PIL import Image
from torch import nn

from v1lab.errors import LayerError
from v1lab.lesion import TensorImages
from v1lab.models import load_model
from v1lab.residual import BlockDropEngine, block_drop_table, evenly_spaced, run_block_drop

SIZE = 64


def _identity(x):
    return x


@pytest.fixture(scope="module")
def net():
    return make()


@pytest.fixture(scope="module")
def images(net):
    x = torch.rand(12, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        labels = net(x).argmax(1)  # the intact network is right on every image
    return TensorImages(x, labels)


def test_every_block_is_found_and_cut(net):
    engine = BlockDropEngine(net, _identity, progress=False)
    assert [b.name for b in engine.blocks] == ["layer1.0", "layer2.0", "layer2.1"]
    assert all(s is not None for s in engine.splits.values())


def test_tails_after_the_cut_equal_a_hook_on_the_whole_network(net, images):
    fast = BlockDropEngine(net, _identity, progress=False)
    base, dropped = fast.run(images, batch_size=5)
    slow = BlockDropEngine(net, _identity, progress=False)
    slow.splits = {name: None for name in slow.splits}
    base2, dropped2 = slow.run(images, batch_size=5)
    np.testing.assert_allclose(base.logp, base2.logp, atol=1e-6)
    for name in dropped:
        np.testing.assert_allclose(dropped[name].logp, dropped2[name].logp, atol=1e-5)
        assert not np.allclose(dropped[name].logp, base.logp)  # each drop changes the output


def test_a_dropped_identity_block_is_the_identity(net, images):
    _, dropped = BlockDropEngine(net, _identity, ["layer2.1"], progress=False).run(images, batch_size=12)
    import copy

    cut = copy.deepcopy(net)
    cut.layer2[1] = nn.Identity()
    with torch.no_grad():
        want = torch.log_softmax(cut(images.images).double(), 1).gather(1, images.labels[:, None])[:, 0]
    np.testing.assert_allclose(dropped["layer2.1"].logp, want.numpy(), atol=1e-5)


def test_table_rows_intervals_and_holm(net, images):
    engine = BlockDropEngine(net, _identity, progress=False)
    base, dropped = engine.run(images, batch_size=12)
    table = block_drop_table(engine.blocks, base, dropped)
    assert list(table["block"]) == ["intact", "layer1.0", "layer2.0", "layer2.1"]
    assert table.loc[0, "top1"] == 1.0 and table.loc[0, "top1_ci_low"] < 1.0
    assert list(table["downsampling"]) == [False, False, True, False]
    assert list(table["shortcut"]) == ["", "identity", "projection", "identity"]
    lesioned = table.iloc[1:]
    assert (lesioned["top1_ci_low"] <= lesioned["top1"]).all()
    assert (lesioned["top1"] <= lesioned["top1_ci_high"] + 1e-12).all()
    assert (lesioned["mcnemar_p_holm"] >= lesioned["mcnemar_p"]).all()
    np.testing.assert_allclose(lesioned["delta_top1"], lesioned["top1"] - 1.0)


def test_stages_and_networks_without_blocks_are_refused(net):
    with pytest.raises(LayerError, match="not stages"):
        BlockDropEngine(net, _identity, ["layer2"], progress=False)
    with pytest.raises(LayerError, match="no residual block"):
        BlockDropEngine(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval(), _identity, progress=False)


def test_evenly_spaced_subsets():
    assert evenly_spaced(10, None) == list(range(10))
    assert evenly_spaced(10, 4) == [0, 2, 5, 7]
    assert evenly_spaced(1000, 250)[:3] == [0, 4, 8] and len(evenly_spaced(1000, 250)) == 250


def test_run_block_drop_writes_table_figure_and_manifest(tmp_path, net):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, wnid in enumerate(["n01440764", "n01443537", "n01484850", "n01491361"]):
        Image.fromarray(rng.integers(0, 255, (80, 90, 3), dtype=np.uint8)).save(folder / f"{wnid}_{i}.JPEG")
    model = load_model(make(width=4))
    out = run_block_drop(model, folder, out=tmp_path / "drop", max_images=3, batch_size=2, progress=False)
    table = pd.read_csv(out / "block_drop.csv")
    assert len(table) == 4 and table["n_images"].eq(3).all()
    assert (out / "block_drop.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["image_indices"] == [0, 1, 2]

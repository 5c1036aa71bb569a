"""Filter images and top-k natural patches on the planted network (known filters, synthetic photographs)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from torch import nn

from preferred.planted_net import GABORS, PPD, planted_filters
from v1lab.errors import AnalysisError
from v1lab.models.core import LoadedModel
from v1lab.preferred import filter_images, gallery, measure_stimulus, top_patches
from v1lab.preferred.crosscheck import orientation_difference


def test_filter_images_are_the_planted_kernels(planted):
    f = filter_images(planted, "conv")
    np.testing.assert_allclose(f.kernels.numpy(), planted_filters(), atol=1e-6)
    out = measure_stimulus(f.images[:4], PPD)
    for ch, (theta, sf) in enumerate(GABORS):
        assert orientation_difference(out.orientation_deg[ch], theta) < 2.0
        assert abs(np.log2(out.sf_cpd[ch] / sf)) < 0.1


def test_filter_images_divide_by_the_normalisation_std(planted):
    """On normalised input (x - m) / s the display-space kernel is W / s."""
    std = (0.5, 0.25, 2.0)
    pre = type(planted.preprocessing)(mean=planted.preprocessing.mean, std=std, input_size=64, resize_size=64)
    model = LoadedModel("planted-std", "planted-std", planted.module, pre, None)
    f = filter_images(model, "conv")
    expected = planted_filters() / np.asarray(std)[None, :, None, None]
    np.testing.assert_allclose(f.kernels.numpy(), expected, atol=1e-5)


def test_filter_images_refuse_a_nonlinear_layer(planted):
    net = nn.Sequential(planted.module.conv, nn.ReLU(), nn.Conv2d(6, 2, 1))
    net.add_module("top", nn.Identity())
    model = LoadedModel("nl", "nl", net.eval(), planted.preprocessing, None)
    with pytest.raises(AnalysisError, match="not linear"):
        filter_images(model, "top")


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    """Eight 64 x 64 'photographs': noise plus, in some, a horizontal grating patch matching unit 0."""
    root = tmp_path_factory.mktemp("photos") / "cls"
    root.mkdir()
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:64, 0:64]
    for i in range(8):
        img = 0.7 + 0.05 * rng.standard_normal((64, 64, 3))
        if i % 2 == 0:
            cy, cx = 20 + 3 * i, 18 + 2 * i
            env = np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * 6.0**2))
            img += (0.25 * env * np.cos(2 * np.pi * GABORS[0][1] / PPD * (cy - ys)))[..., None]
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(root / f"img{i}.png")
    return root.parent


def test_top_patches_find_the_planted_pattern(planted, photo_dir):
    top = top_patches(planted, "conv", photo_dir, k=3, batch_size=4)
    assert top.patches.shape == (6, 3, 3, 25, 25)
    src = top.sources[top.sources.channel == 0]
    assert set(src.image) <= {"img0.png", "img2.png", "img4.png", "img6.png"}
    assert (np.diff(src.response.to_numpy()) <= 0).all()
    row = measure_stimulus(top.mean_patch[:1], PPD).iloc[0]
    assert orientation_difference(row.orientation_deg, 0.0) < 10.0
    # where the (rectified) unit is driven, its gradient is its filter and gradient x (input - mean) sums
    # to the response (no bias); where the ReLU is off, the gradient is 0
    driven = top.sources.groupby("channel").response.min().to_numpy() > 0
    assert driven[:4].all()
    np.testing.assert_allclose(top.mean_gradient.numpy()[driven], planted_filters()[driven], atol=1e-5)
    mean_resp = top.sources.groupby("channel").response.mean().to_numpy()
    np.testing.assert_allclose(top.mean_product.sum(dim=(1, 2, 3)).numpy()[driven], mean_resp[driven],
                               rtol=0.02, atol=0.02)


def test_gallery_writes_png(planted, tmp_path):
    f = filter_images(planted, "conv")
    path = gallery({"filter": f.images, "again": f.images}, [f"conv:{c}" for c in f.channels],
                   tmp_path / "g.png", title="conv")
    with Image.open(path) as png:
        assert png.size[0] > 100
    with pytest.raises(AnalysisError, match="one image per caption"):
        gallery({"filter": f.images}, ["a"], tmp_path / "h.png")



def test_top_patches_do_not_depend_on_the_cpu_batch(planted, photo_dir, monkeypatch):
    import v1lab.recording.memory as memory

    whole = top_patches(planted, "conv", photo_dir, k=3, batch_size=8)
    monkeypatch.setattr(memory, "CPU_WORKING_SET_BYTES", 1)  # one image per forward pass
    single = top_patches(planted, "conv", photo_dir, k=3, batch_size=8)
    pd.testing.assert_frame_equal(single.sources, whole.sources)
    np.testing.assert_allclose(single.mean_gradient.numpy(), whole.mean_gradient.numpy(), atol=1e-6)

def test_top_patches_need_room(planted, photo_dir):
    with pytest.raises(AnalysisError, match="fewer than k"):
        top_patches(planted, "conv", photo_dir, k=10**6)

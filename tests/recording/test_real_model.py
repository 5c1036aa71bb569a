"""The recorder on the real default model ``resnet50-caffe`` (ResNet v1 strides, Caffe-padding conv1)."""

import pytest
import torch

from v1lab.models import resnet50_caffe
from v1lab.recording import CentreUnitRecorder, analytic_receptive_field, empirical_receptive_field

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def caffe():
    if not resnet50_caffe.is_cached():
        pytest.skip("resnet50-caffe weights are not in the cache (run `v1lab fetch resnet50-caffe`)")
    from v1lab.models import load_model

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("V1LAB_OFFLINE", "1")
        return load_model("resnet50-caffe")


def _photo_like(n, seed):
    """Smooth random images (low-pass noise): natural-image-like spatial correlations."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 14, 14, generator=gen)
    return torch.nn.functional.interpolate(coarse, size=(224, 224), mode="bicubic", align_corners=False).clamp(0, 1)


@pytest.mark.parametrize("layer, response, offset", [
    ("conv1", "output", (0, 0)), ("layer1", "post_relu", (0, 0)), ("layer2.0", "pre_relu", (0, 0)),
    ("layer2", "post_relu", (0, 0)), ("layer1", "output", (-27, -27)),  # the last one sees conv1's padding
])
def test_fast_path_equals_naive_path_on_the_real_model(caffe, layer, response, offset):
    rec = CentreUnitRecorder(caffe, layer, response=response, positions=[offset])
    x = torch.cat([_photo_like(2, 0), torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))])
    naive, fast = rec.record_full(x), rec.record(rec.crop(x))
    scale = naive.abs().max()
    assert scale > 0
    torch.testing.assert_close(fast, naive, rtol=0, atol=1e-5 * scale)


def test_real_model_fields_read_and_measured_agree(caffe):
    net = caffe.module
    for layer in ["conv1", "maxpool", "layer1"]:
        rf = analytic_receptive_field(net, layer, (64, 64))
        emp = empirical_receptive_field(net, layer, (64, 64))
        assert rf.span(*rf.centre_index) == emp.span(*emp.centre_index), layer
    # ResNet v1: conv1 7, maxpool 11, layer1 35 as in v1.5; in layer2.0 the 3x3 conv sits on the jump-8 grid
    # instead of the jump-4 grid, which widens layer2 from v1.5's 91 by 2 x 4 px to 99
    assert [analytic_receptive_field(net, k).size[0] for k in ("conv1", "maxpool", "layer1")] == [7, 11, 35]
    assert analytic_receptive_field(net, "layer2").size[0] == 99

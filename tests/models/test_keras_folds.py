"""The Keras -> torch conversion: each fold against the Keras formula, and the whole network against a
direct numpy evaluation of the Keras graph (slow; needs the cached npm tarball)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from keras_reference import caffe_preprocess, run_keras_model
from v1lab.errors import ModelError
from v1lab.models import load_model
from v1lab.models.keras_resnet import (
    CAFFE_MEAN_BGR,
    IMAGENET_MEAN,
    IMAGENET_STD,
    ChannelPadConv2d,
    build_resnet50_v1,
    fold_bn_epsilon,
    fold_caffe_preprocessing,
    fold_conv_bias_into_bn,
    keras_resnet50_to_state_dict,
    read_tfjs_layers_model,
)


def _numpy_conv(y, w, b, stride, pad):
    """Direct sum: out[o,i,j] = b[o] + sum_{k,u,v} w[o,k,u,v] * ypad[k, i*stride+u, j*stride+v]."""
    ypad = np.pad(y, ((0, 0), (pad, pad), (pad, pad)))
    kh, kw = w.shape[2:]
    oh = (ypad.shape[1] - kh) // stride + 1
    ow = (ypad.shape[2] - kw) // stride + 1
    out = np.empty((w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = ypad[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, i, j] = np.einsum("okuv,kuv->o", w, patch) + b
    return out


def test_caffe_fold_is_exact_including_borders():
    rng = np.random.default_rng(0)
    w_bgr = rng.normal(0, 0.05, (4, 3, 7, 7))
    bias = rng.normal(0, 1, 4)
    x = rng.uniform(0, 1, (3, 9, 12))  # display RGB
    y = 255.0 * x[::-1] - np.asarray(CAFFE_MEAN_BGR)[:, None, None]  # Keras caffe input (BGR)
    expected = _numpy_conv(y, w_bgr, bias, stride=2, pad=3)

    w_rgb, b_new, pad_value = fold_caffe_preprocessing(w_bgr, bias)
    conv = ChannelPadConv2d(3, 4, kernel_size=7, stride=2, padding=3, bias=True).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(w_rgb))
        conv.bias.copy_(torch.from_numpy(b_new))
        conv.pad_value.copy_(torch.from_numpy(pad_value))
    z = (torch.from_numpy(x)[None] - torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)) \
        / torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    got = conv(z)[0].detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)

    # The constant padding is what makes the borders exact: zero padding in normalised space is off there.
    plain = F.conv2d(z, conv.weight, conv.bias, stride=2, padding=3)[0].detach().numpy()
    np.testing.assert_allclose(plain[:, 2:-2, 2:-2], expected[:, 2:-2, 2:-2], atol=1e-9)
    assert np.abs(plain[:, 0, :] - expected[:, 0, :]).max() > 1e-2  # vs 1e-9 for the exact fold


def test_caffe_fold_rejects_non_rgb_kernels():
    with pytest.raises(ModelError, match=r"weight shape \(2, 4, 3, 3\)"):
        fold_caffe_preprocessing(np.zeros((2, 4, 3, 3)), np.zeros(2))


def test_bias_and_epsilon_folds_match_keras_batchnorm():
    rng = np.random.default_rng(1)
    c = 5
    conv_out = rng.normal(0, 1, (2, c, 3, 4))  # conv output without its bias
    bias, gamma, beta = rng.normal(0, 1, c), rng.normal(1, 0.2, c), rng.normal(0, 1, c)
    mean = rng.normal(0, 1, c)
    var = rng.uniform(1e-4, 1e-2, c)  # small variances, where epsilon matters
    per_channel = (slice(None), None, None)
    keras = gamma[per_channel] * (conv_out + bias[per_channel] - mean[per_channel]) \
        / np.sqrt(var[per_channel] + 1e-3) + beta[per_channel]

    bn = nn.BatchNorm2d(c, eps=1e-5).double().eval()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        bn.running_mean.copy_(torch.from_numpy(fold_conv_bias_into_bn(mean, bias)))
        bn.running_var.copy_(torch.from_numpy(fold_bn_epsilon(var, eps_from=1e-3)))
        got = bn(torch.from_numpy(conv_out)).numpy()
        np.testing.assert_allclose(got, keras, rtol=1e-12, atol=1e-12)
        bn.running_var.copy_(torch.from_numpy(var))  # without the epsilon fold the result is visibly off
        assert np.abs(bn(torch.from_numpy(conv_out)).numpy() - keras).max() > 1e-2


def test_epsilon_fold_refuses_non_positive_variance():
    with pytest.raises(ModelError, match="expected > 0"):
        fold_bn_epsilon(np.array([-1e-3]), eps_from=1e-5, eps_to=1e-3)


@pytest.mark.parametrize("size", [7, 8, 112])
def test_keras_zero_pad_maxpool_equals_torchvision_maxpool_after_relu(size):
    x = torch.relu(torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size)))
    keras = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), kernel_size=3, stride=2)
    torch.testing.assert_close(nn.MaxPool2d(kernel_size=3, stride=2, padding=1)(x), keras, rtol=0, atol=0)


def test_resnet50_v1_strides_and_conv1():
    model = build_resnet50_v1()
    assert isinstance(model.conv1, nn.Conv2d) and model.conv1.padding == (3, 3) and model.conv1.bias is None
    assert "conv1.pad_value" in model.state_dict()
    for name in ("layer2", "layer3", "layer4"):
        block = getattr(model, name)[0]
        assert block.conv1.stride == (2, 2) and block.conv2.stride == (1, 1)
        assert block.downsample[0].stride == (2, 2)
    assert model.layer1[0].conv1.stride == (1, 1)
    sizes = {}
    hooks = [getattr(model, n).register_forward_hook(lambda m, i, o, n=n: sizes.__setitem__(n, o.shape[-1]))
             for n in ("maxpool", "layer1", "layer2", "layer3", "layer4")]
    with torch.inference_mode():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)
    for h in hooks:
        h.remove()
    assert sizes == {"maxpool": 16, "layer1": 16, "layer2": 8, "layer3": 4, "layer4": 2}


@pytest.fixture(scope="module")
def keras_model(cached_caffe_weights):
    return read_tfjs_layers_model(cached_caffe_weights.tarball)


@pytest.mark.slow
def test_topology_check_rejects_v15_strides(keras_model):
    topology, weights = keras_model
    layers = topology["model_config"]["config"]["layers"]
    changed = {**topology, "model_config": {**topology["model_config"], "config": {
        **topology["model_config"]["config"],
        "layers": [{**layer, "config": {**layer["config"], "strides": [1, 1]}} if layer["name"] == "res3a_branch2a"
                   else layer for layer in layers]}}}
    with pytest.raises(ModelError, match=r"res3a_branch2a strides=\[1, 1\]; expected \[2, 2\]"):
        keras_resnet50_to_state_dict(changed, weights)
    with pytest.raises(ModelError, match="fc1000/bias missing"):
        keras_resnet50_to_state_dict(topology, {k: v for k, v in weights.items() if k != "fc1000/bias"})


@pytest.mark.slow
@pytest.mark.data
def test_converted_model_reproduces_the_keras_graph(keras_model, imagenet_sample_dir):
    from v1lab.images import ImageNetFolder

    topology, weights = keras_model
    eagle = imagenet_sample_dir / "n01614925_bald_eagle.JPEG"
    dataset = ImageNetFolder(imagenet_sample_dir)
    index = [p for p, _ in dataset.samples].index(eagle)
    x, label = dataset[index]
    reference = run_keras_model(topology, weights, caffe_preprocess(x[None].numpy().astype(np.float64)))
    model = load_model("resnet50-caffe")
    with torch.inference_mode():
        logits = model.module(model.preprocessing.normalize(x[None])).numpy()
    np.testing.assert_allclose(logits, reference, rtol=0, atol=1e-3 * np.abs(reference).max())
    assert logits.argmax() == reference.argmax() == label

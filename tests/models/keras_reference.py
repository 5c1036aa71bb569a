"""A direct numpy interpreter of a Keras layers-model topology (NHWC), used as the conversion's reference.

It follows the Keras/TensorFlow definitions layer by layer on the raw weights (HWIO kernels, conv biases,
BN with the topology's epsilon, TF "same" padding) and Keras' ``preprocess_input(mode="caffe")``; it shares
no code with :mod:`v1lab.models.keras_resnet` except the shard reader.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])


def caffe_preprocess(display_rgb: np.ndarray) -> np.ndarray:
    """Display RGB (N, 3, H, W) in [0, 1] -> Keras caffe input (N, H, W, 3): BGR, 0..255, minus means."""
    x = np.transpose(display_rgb, (0, 2, 3, 1)) * 255.0
    return x[..., ::-1] - CAFFE_MEAN_BGR


def _same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _conv(x, kernel, bias, strides, padding):
    kh, kw = kernel.shape[:2]
    sh, sw = strides
    if padding == "same":
        x = np.pad(x, ((0, 0), _same_pads(x.shape[1], kh, sh), _same_pads(x.shape[2], kw, sw), (0, 0)))
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # N, H', W', C, kh, kw
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel, optimize=True) + bias


def run_keras_model(topology: dict, weights: dict, x: np.ndarray, *, logits: bool = True) -> np.ndarray:
    """Evaluate the functional Keras model on NHWC input ``x``; the last Dense returns pre-softmax logits."""
    out = {}
    config = topology["model_config"]["config"]
    for layer in config["layers"]:
        name, kind, cfg = layer["name"], layer["class_name"], layer["config"]
        ins = [out[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        w = {k.split("/", 1)[1]: v.astype(np.float64) for k, v in weights.items() if k.split("/")[0] == name}
        if kind == "InputLayer":
            y = x.astype(np.float64)
        elif kind == "ZeroPadding2D":
            (t, b), (lft, r) = cfg["padding"]
            y = np.pad(ins[0], ((0, 0), (t, b), (lft, r), (0, 0)))
        elif kind == "Conv2D":
            y = _conv(ins[0], w["kernel"], w["bias"], cfg["strides"], cfg["padding"])
        elif kind == "BatchNormalization":
            y = w["gamma"] * (ins[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) + w["beta"]
        elif kind == "Activation":
            assert cfg["activation"] == "relu", cfg["activation"]
            y = np.maximum(ins[0], 0.0)
        elif kind == "MaxPooling2D":
            assert cfg["padding"] == "valid"
            (ph, pw), (sh, sw) = cfg["pool_size"], cfg["strides"]
            y = sliding_window_view(ins[0], (ph, pw), axis=(1, 2))[:, ::sh, ::sw].max(axis=(-1, -2))
        elif kind == "Add":
            y = sum(ins)
        elif kind == "GlobalAveragePooling2D":
            y = ins[0].mean(axis=(1, 2))
        elif kind == "Dense":
            y = ins[0] @ w["kernel"] + w["bias"]
            if not logits and cfg["activation"] == "softmax":
                y = np.exp(y - y.max(axis=1, keepdims=True))
                y = y / y.sum(axis=1, keepdims=True)
        else:
            raise NotImplementedError(kind)
        out[name] = y
    return out[config["output_layers"][0][0]]

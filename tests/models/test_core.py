"""Preprocessing: normalisation by the published per-channel formula, validation of its fields."""

import pytest
import torch

from v1lab.errors import ModelError
from v1lab.models import IMAGENET_PREPROCESSING, Preprocessing


def test_normalize_is_per_channel_affine():
    prep = Preprocessing(mean=(0.1, 0.5, 0.9), std=(0.5, 0.25, 2.0))
    x = torch.rand(2, 3, 4, 5, dtype=torch.float64)
    z = prep.normalize(x)
    assert z.dtype == torch.float64 and z.shape == x.shape
    for c, (m, s) in enumerate(zip(prep.mean, prep.std)):
        torch.testing.assert_close(z[:, c], (x[:, c] - m) / s)


def test_imagenet_preprocessing_values():
    # torchvision's ImageNet statistics (torchvision.models weights transforms).
    assert IMAGENET_PREPROCESSING.mean == (0.485, 0.456, 0.406)
    assert IMAGENET_PREPROCESSING.std == (0.229, 0.224, 0.225)
    assert (IMAGENET_PREPROCESSING.input_size, IMAGENET_PREPROCESSING.resize_size) == (224, 256)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": (0.5, 0.5), "std": (1, 1, 1)}, "mean"),
        ({"mean": (0, 0, 0), "std": (1, 0, 1)}, "positive"),
        ({"mean": (0, 0, 0), "std": (1, 1, 1), "input_size": 300, "resize_size": 256}, "input_size=300"),
    ],
)
def test_preprocessing_validation(kwargs, match):
    with pytest.raises(ModelError, match=match):
        Preprocessing(**kwargs)


@pytest.mark.parametrize("x", [torch.rand(3, 8, 8), torch.rand(1, 1, 8, 8), torch.zeros(1, 3, 4, 4, dtype=torch.uint8)])
def test_normalize_rejects_wrong_input(x):
    with pytest.raises(ModelError, match="Preprocessing.normalize"):
        IMAGENET_PREPROCESSING.normalize(x)

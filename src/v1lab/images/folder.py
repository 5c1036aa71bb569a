"""ImageNet-style image folders as a torch ``Dataset`` of display images and class indices.

Two layouts are read (and may be mixed):

* class sub-folders, ``root/<class>/<any>.JPEG`` (the ILSVRC train layout, ``<class>`` a wnid);
* flat files ``root/<wnid>_<name>.JPEG`` (as in ``../shared/data/imagenet-sample``).

The class index follows the ILSVRC-2012 order (wnids sorted alphabetically, 0..999) whenever every class
found is an ILSVRC-2012 wnid, so a folder with a subset of the classes still indexes the model's outputs
correctly; otherwise the classes found are sorted (torchvision ``ImageFolder``'s convention). Images are
returned as display sRGB in [0, 1] after the standard evaluation resize (shorter side ``resize_size``) and
centre crop (``crop_size``), with ``torchvision.transforms.v2``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from v1lab.errors import ImageFolderError
from v1lab.images._ilsvrc2012 import ILSVRC2012_WNIDS

if TYPE_CHECKING:
    from torchvision.transforms import v2

__all__ = ["IMAGE_SUFFIXES", "ImageNetFolder", "imagenet_class_index", "display_transform", "read_image"]

#: File suffixes read as images (case-insensitive).
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
_FLAT = re.compile(r"^(n\d{8})_(.+)$")


def imagenet_class_index() -> dict[str, int]:
    """ILSVRC-2012 wnid -> class index (0..999), the order ImageNet classifiers use for their outputs."""
    return {wnid: i for i, wnid in enumerate(ILSVRC2012_WNIDS)}


def display_transform(*, resize_size: int = 256, crop_size: int = 224) -> v2.Compose:
    """PIL image -> float tensor (3, crop, crop) in [0, 1]: resize the shorter side, then centre-crop.

    Bilinear resize with antialiasing, as torchvision's ImageNet evaluation transforms.
    """
    if not 1 <= int(crop_size) <= int(resize_size):
        raise ImageFolderError(f"crop_size={crop_size}, resize_size={resize_size}; expected 1 <= crop <= resize")
    from torchvision.transforms import v2

    return v2.Compose([
        v2.ToImage(),
        v2.Resize(int(resize_size), antialias=True),
        v2.CenterCrop(int(crop_size)),
        v2.ToDtype(torch.float32, scale=True),
    ])


def read_image(path: str | Path) -> Image.Image:
    """Open an image file as RGB (greyscale and CMYK JPEGs converted); :class:`ImageFolderError` if unreadable."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as err:
        raise ImageFolderError(f"{path}: cannot be read as an image ({type(err).__name__}: {err}); "
                               "expected a JPEG or PNG file") from None


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _scan(root: Path) -> list[tuple[Path, str]]:
    """(file, class name) for every image in the two layouts."""
    found: list[tuple[Path, str]] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            found.extend((f, entry.name) for f in sorted(entry.iterdir()) if _is_image(f))
        elif _is_image(entry):
            match = _FLAT.match(entry.stem)
            if match is None:
                raise ImageFolderError(f"{entry}: file name {entry.name!r} outside a class folder; expected "
                                       "<wnid>_<name>.JPEG (e.g. n01440764_tench.JPEG)")
            found.append((entry, match.group(1)))
    return found


class ImageNetFolder(Dataset):
    """A folder of ImageNet-style images: ``dataset[i] -> (image (3, crop, crop) in [0, 1], class index)``.

    Parameters
    ----------
    root : path
        The folder (see the module docstring for the layouts).
    resize_size, crop_size : int
        Shorter side after resizing and side of the centre crop, in pixels (256 and 224 by default).
    classes : sequence of str, optional
        Class names in index order. Default: the ILSVRC-2012 wnids when every class found is one of them,
        else the sorted class names found.

    Attributes
    ----------
    samples : list of (Path, int)
        Image file and class index, in file-name order.
    class_index : dict
        Class name (wnid) -> index.

    Raises
    ------
    ImageFolderError
        The folder is missing, holds no image, has a file outside the layouts, or a class not in ``classes``.
    """

    def __init__(self, root: str | Path, *, resize_size: int = 256, crop_size: int = 224,
                 classes: Sequence[str] | None = None):
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise ImageFolderError(f"image folder {self.root} does not exist or is not a folder; expected a "
                                   "folder of <wnid>_<name>.JPEG files or <wnid>/ sub-folders")
        found = _scan(self.root)
        if not found:
            raise ImageFolderError(f"image folder {self.root} holds no image ({', '.join(IMAGE_SUFFIXES)}); "
                                   "expected <wnid>_<name>.JPEG files or <wnid>/ sub-folders")
        names = sorted({name for _, name in found})
        if classes is None:
            standard = imagenet_class_index()
            self.class_index = standard if all(n in standard for n in names) else {n: i for i, n in
                                                                                   enumerate(names)}
        else:
            self.class_index = {n: i for i, n in enumerate(classes)}
            unknown = [n for n in names if n not in self.class_index]
            if unknown:
                raise ImageFolderError(f"image folder {self.root}: classes {unknown[:3]} not in the "
                                       f"{len(self.class_index)} classes given; expected a subset")
        self.samples = [(path, self.class_index[name]) for path, name in found]
        self.transform = display_transform(resize_size=resize_size, crop_size=crop_size)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        return self.transform(read_image(path)), label

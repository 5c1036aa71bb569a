"""ImageNet-style image folders: display images in [0, 1] (resize 256, centre crop 224) and class indices."""

from v1lab.images.folder import (
    IMAGE_SUFFIXES,
    ImageNetFolder,
    display_transform,
    imagenet_class_index,
    read_image,
)

__all__ = ["IMAGE_SUFFIXES", "ImageNetFolder", "display_transform", "imagenet_class_index", "read_image"]

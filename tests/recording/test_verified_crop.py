"""The receptive-field crop for models whose graph torch.fx cannot read: used where it gives the full image's
responses, and otherwise refused with the reason and the cost (issue 15)."""

import torch
from torch import nn

from v1lab.models import load_model
from v1lab.recording import CentreUnitRecorder


class OneLargeConvolution(nn.Module):
    """A 31 x 31 convolution behind data-dependent control flow, which torch.fx cannot trace."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 16, 31, padding=15)
        self.relu = nn.ReLU()

    def forward(self, x):
        if x.abs().sum() >= 0:
            x = self.conv(x)
        return self.relu(x)


class WholeImageKernel(nn.Module):
    """A unit that reads the whole 224-px image at once (a 224 x 224 kernel): it cannot run on a crop."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 224, bias=False)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[:, :, 100:124, 100:124] = 1.0
        self.units = nn.Identity()

    def forward(self, x):
        return self.units(self.conv(x) if x.abs().sum() >= 0 else x)


def test_a_measured_field_is_cropped_when_the_crop_reproduces_the_whole_image():
    rec = CentreUnitRecorder(load_model(OneLargeConvolution()), "relu", fold_batch_norm=False)
    assert rec.receptive_field.method == "empirical" and rec.receptive_field.size == (31, 31)
    assert rec.canvas_shape == (31, 31) and rec.crop_note == ""
    images = torch.rand(3, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(rec.record(rec.crop(images)), rec.record_full(images), rtol=1e-5, atol=1e-6)


def test_a_network_that_cannot_run_on_the_crop_records_the_whole_image_and_says_why():
    rec = CentreUnitRecorder(load_model(WholeImageKernel()), "units", fold_batch_norm=False)
    assert rec.receptive_field.method == "empirical"
    assert rec.crop_box == (0, 224, 0, 224)
    assert "recording the whole image" in rec.crop_note and "does not run on the crop" in rec.crop_note
    assert "times the pixels" in rec.crop_note

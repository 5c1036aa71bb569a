"""Stimulus-set files: format, validation errors naming file and field, the shipped sets, blank, preview CLI."""

import argparse
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from v1lab.errors import GamutError, ProtocolError, StimulusError
from v1lab.stimuli import Geometry, load_stimulus_set, stimulus_set_from_dict

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "stimuli").glob("*.yaml"))
CONTRACT = ["gratings_osp", "gratings_osp_quick", "isoluminant_osp", "isoluminant_osp_quick", "s_cone_osp",
            "color_fields", "color_fields_quick", "hue_sweep", "size_sweep", "size_sweep_annulus",
            "contrast_sweep", "bars", "gabors", "sparse_noise", "opponent_patches"]


def _write(tmp_path, data) -> Path:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


GOOD = {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0},
        "grid": {"orientation_deg": {"linspace": [0, 180], "num": 4, "endpoint": False},
                 "phase_deg": [0, 180]}}


def test_grid_is_full_factorial_first_key_slowest(tmp_path):
    stim = load_stimulus_set(_write(tmp_path, GOOD))
    assert len(stim) == 8
    assert stim.params["orientation_deg"].tolist() == [0, 0, 45, 45, 90, 90, 135, 135]
    assert stim.params["phase_deg"].tolist() == [0, 180] * 4
    assert stim.params["sf_cpp"].iloc[0] == pytest.approx(2.0 / 28.0)


@pytest.mark.parametrize("change, error, match", [
    ({"gird": {}}, ProtocolError, r"set\.yaml: unknown field 'gird'"),
    ({"family": "plaid"}, ProtocolError, r"field 'family' is 'plaid'"),
    ({"fixed": {"sf_cpd": 2.0, "orientaton_deg": 3}}, ProtocolError, r"unknown field 'orientaton_deg'"),
    ({"grid": {"orientation_deg": []}}, ProtocolError, r"'grid.orientation_deg' is an empty parameter list"),
    ({"grid": {"orientation_deg": [0]}, "fixed": {}}, ProtocolError, r"field 'sf_cpd' is missing"),
    ({"fixed": {"sf_cpd": 2.0, "aperture": "circular", "size_deg": 0}}, StimulusError,
     r"field 'size_deg' is 0\.0 \(stimulus 0\)"),
    ({"fixed": {"sf_cpd": 2.0, "aperture": "circular"}}, StimulusError, r"field 'size_deg' is nan"),
    ({"fixed": {"sf_cpd": 20.0}}, StimulusError, r"field 'sf_cpd' is 20\.0.*Nyquist"),
    ({"fixed": {"sf_cpd": 2.0, "color_direction": "blue"}}, StimulusError, r"field 'color_direction' is 'blue'"),
    ({"fixed": {"sf_cpd": 2.0, "mean_luminance": 1.0}}, GamutError, r"field 'mean_luminance' is 1\.0"),
    ({"fixed": {"sf_cpd": 2.0}, "grid": {"orientation_deg": [0], "sf_cpd": [1]}}, ProtocolError,
     r"'sf_cpd' is in both 'fixed' and 'grid'"),
])
def test_invalid_files_raise_naming_file_and_field(tmp_path, change, error, match):
    with pytest.raises(error, match=match):
        load_stimulus_set(_write(tmp_path, {**GOOD, **change}))


def test_out_of_gamut_contrast_raises_with_the_excess():
    data = {**GOOD, "fixed": {"sf_cpd": 2.0, "color_direction": "L-M", "contrast": 1.25}}
    with pytest.raises(GamutError, match=r"exceeds the sRGB gamut along L-M .* by 25 %"):
        stimulus_set_from_dict(data, source="inline")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_sets_load_and_render(path):
    stim = load_stimulus_set(path)
    assert stim.name == path.stem and len(stim) > 0
    images = stim.render(Geometry.centred(24), [0, len(stim) - 1])
    assert images.shape == (2, 3, 24, 24) and 0 <= images.min() and images.max() <= 1


def test_contract_names_are_shipped_and_quick_sets_are_small():
    names = {p.stem for p in SHIPPED}
    assert set(CONTRACT) <= names
    # the quick sets reach the Nyquist limit (6 octave-spaced SFs up to 14 c/deg): 584 stimuli in all
    assert sum(len(load_stimulus_set(REPO / "stimuli" / f"{n}.yaml")) for n in names if n.endswith("_quick")) <= 600


def test_blank_equals_stimulus_background_and_rows_match_full_render():
    stim = stimulus_set_from_dict({"name": "b", "family": "bar", "fixed": {"length_deg": 0.5, "width_deg": 0.1},
                                   "grid": {"orientation_deg": [0, 90], "polarity": ["light", "dark"]}})
    g = Geometry.centred(40)
    images = stim.render(g)
    assert torch.equal(stim.blank(g)[0, :, 0, 0], images[0, :, 0, 0])
    assert stim.blank(g)[0, 0, 0, 0].item() == pytest.approx(0.7353569830524495, abs=1e-6)  # sRGB of linear 0.5
    assert torch.equal(stim.render(g, [3, 1]), images[[3, 1]])


def test_render_with_another_ppd_needs_with_ppd():
    stim = stimulus_set_from_dict(GOOD)
    with pytest.raises(StimulusError, match="ppd 20 differs"):
        stim.render(Geometry.centred(16, ppd=20.0))
    assert stim.with_ppd(20.0).render(Geometry.centred(16, ppd=20.0)).shape == (8, 3, 16, 16)


def test_preview_command_writes_a_contact_sheet(tmp_path):
    from PIL import Image

    from v1lab.cli import stimuli_cmd

    parser = argparse.ArgumentParser()
    stimuli_cmd.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "sheet.png"
    args = parser.parse_args(["stimuli", "preview", str(REPO / "stimuli" / "color_fields_quick.yaml"),
                              "--out", str(out), "--max", "4", "--size-px", "32"])
    assert args.func(args) == 0
    with Image.open(out) as sheet:
        pixels = np.asarray(sheet.convert("RGB"))
    assert pixels.shape[0] > 100 and pixels.std() > 0

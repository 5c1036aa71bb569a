"""Characterising a layer in memory: roles read off the sets, stimulus sets from every source, and one planted
network recorded end to end.

The planted network is one 15 x 15 convolution (the receptive field of its centre unit is 15 pixels): channel 0
is an even Gabor whose stripes vary along x, channel 1 the same kernel transposed (stripes along y), channel 2
all zeros. Gratings drive channel 0 best at one orientation and channel 1 best at the orthogonal one; channel 2
never departs from its blank.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from v1lab.characterisation import AnalysisRoles
from v1lab.characterisation.in_memory import _stimulus_set, characterise, infer_roles
from v1lab.errors import AnalysisError
from v1lab.stimuli import stimulus_set_from_dict
from v1lab.units import COLUMNS


def _set(name, family="grating", **columns):
    n = max((len(v) for v in columns.values()), default=1)
    params = pd.DataFrame({c: v if len(v) == n else v * n for c, v in columns.items()})
    return SimpleNamespace(name=name, family=family, params=params)


LUM = {"color_direction": ["luminance"], "orientation_deg": [0.0, 90.0], "sf_cpd": [1.0, 1.0]}


def test_roles_are_read_off_each_family_and_varying_parameter():
    sets = [_set("fields", family="color_field", color_direction=["L-M", "S"]),
            _set("sizes", size_deg=[1.0, 2.0], contrast=[0.5, 1.0], color_direction=["luminance"]),
            _set("partial", size_deg=[np.nan, 2.0], color_direction=["L-M"], contrast=[0.5]),
            _set("lum", **LUM, size_deg=[1.0], contrast=[1.0]),
            _set("iso", color_direction=["L-M", "luminance"], orientation_deg=[0.0, 90.0]),
            _set("bars", family="bar", color_direction=["luminance"], orientation_deg=[0.0, 90.0])]
    with pytest.raises(AnalysisError, match="could each be the size_sweep"):
        infer_roles(sets)
    sets = [s for s in sets if s.name != "partial"] + [_set("contrasts", contrast=[0.1, 0.2],
                                                            color_direction=["luminance"])]
    assert infer_roles(sets).named() == {"uniform_fields": "fields", "size_sweep": "sizes", "luminance_gratings": "lum",
                                         "chromatic_gratings": "iso", "contrast_sweep": "contrasts"}
    assert infer_roles([_set("partial", size_deg=[np.nan, 2.0], color_direction=["L-M"])]).named() == {
        "size_sweep": "partial"}
    assert infer_roles([]).named() == {}


def test_a_role_two_sets_fit_is_refused_naming_both():
    sets = [_set("a", **LUM), _set("fields", family="color_field", color_direction=["S"]), _set("b", **LUM),
            _set("c", family="color_field", color_direction=["S"])]
    msg = (r"^roles: sets \['a', 'b'\] could each be the luminance_gratings; expected roles named explicitly, "
           r"e\.g\. roles=\{'luminance_gratings': 'a'\}$")
    with pytest.raises(AnalysisError, match=msg):
        infer_roles(sets)


GRATINGS = {"name": "gratings", "family": "grating",
            "fixed": {"color_direction": "luminance", "contrast": 1.0, "aperture": "none", "sf_cpd": 4.0},
            "grid": {"orientation_deg": {"linspace": [0, 180], "num": 4, "endpoint": False},
                     "phase_deg": {"linspace": [0, 360], "num": 4, "endpoint": False}}}


def _yaml(path, name, sf):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"name: {name}\nfamily: grating\nfixed: {{color_direction: luminance, contrast: 1.0, "
                    f"aperture: none, orientation_deg: 0.0, sf_cpd: {sf}}}\n"
                    "grid: {phase_deg: {linspace: [0, 360], num: 4, endpoint: false}}\n")
    return path


def test_stimulus_sets_come_from_a_set_a_mapping_a_file_or_a_name_under_stimuli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _yaml(tmp_path / "stimuli" / "named.yaml", "named", 2.0)
    _yaml(tmp_path / "here.yaml", "here", 3.0)
    _yaml(tmp_path / "stimuli" / "here.yaml.yaml", "shadow", 5.0)      # a file of that path wins over the name
    stim = stimulus_set_from_dict(GRATINGS)
    assert _stimulus_set(stim, 28.0) is stim
    at14 = _stimulus_set(stim, 14.0)
    assert at14.ppd == 14.0 and at14.params["sf_cpp"].tolist() == pytest.approx([4.0 / 14.0] * 16)
    from_dict = _stimulus_set(GRATINGS, 56.0)
    assert from_dict.name == "gratings" and from_dict.ppd == 56.0 and len(from_dict) == 16
    named = _stimulus_set("named", 28.0)
    assert named.name == "named" and set(named.params["sf_cpd"]) == {2.0}
    here = _stimulus_set("here.yaml", 28.0)
    assert here.name == "here" and set(here.params["sf_cpd"]) == {3.0}
    assert _stimulus_set(tmp_path / "stimuli" / "named.yaml", 14.0).params["sf_cpp"].tolist() == [2.0 / 14.0] * 4


def _gabor_net() -> nn.Module:
    """Channel 0: exp(-r^2 / 2 sigma^2) cos(2 pi x / 7 px), sigma 3 px, zero mean; channel 1 its transpose."""
    c = torch.arange(15, dtype=torch.float64) - 7.0
    y, x = torch.meshgrid(c, c, indexing="ij")
    g = torch.exp(-(x ** 2 + y ** 2) / 18.0) * torch.cos(2 * np.pi * x / 7.0)
    g = g - g.mean()
    conv = nn.Conv2d(3, 3, 15, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0] = (g / 3).float()
        conv.weight[1] = (g.T / 3).float()
    return nn.Sequential(conv)


@pytest.fixture(scope="module")
def net():
    return _gabor_net()


@pytest.fixture
def recorders(monkeypatch):
    """The device and batch size of every recorder characterise makes."""
    import v1lab.recording

    made, real = [], v1lab.recording.CentreUnitRecorder

    class Spy(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append((self.device, self.batch_size))

    monkeypatch.setattr(v1lab.recording, "CentreUnitRecorder", Spy)
    return made


def test_a_planted_gabor_layer_is_characterised_in_memory(net, capsys):
    units, ds = characterise(net, " 0 = V1 ", [GRATINGS], fits=False, progress=True)
    assert list(units.columns) == [c.name for c in COLUMNS] and len(units) == 3
    assert units["layer"].tolist() == ["V1"] * 3 and (units["model"] == "module:Sequential").all()
    assert units["responsive"].tolist() == [True, True, False]
    ori = units["optimum_orientation_deg"]
    assert abs(ori[0] - ori[1]) == 90.0                      # transposed kernels prefer orthogonal gratings
    assert (units["ori_vm_status"] == "skipped").all()
    assert ds.attrs["layer"] == "V1" and ds.attrs["module"] == "0" and ds.attrs["response"] == "post_relu"
    assert ds.attrs["ppd"] == 28.0 and list(ds.attrs["rf_size_px"]) == [15, 15]
    assert list(ds.attrs["rf_size_deg"]) == pytest.approx([15 / 28.0] * 2)
    y0, y1, x0, x1 = ds.attrs["crop_box_px"]
    assert y1 - y0 == x1 - x0 == 15 and y0 + y1 == x0 + x1 == 225      # the field, centred on 224 px
    assert ds.sizes["stimulus"] == 16 and (ds["responses"].values >= 0).all()
    np.testing.assert_allclose(ds["blank"].values, 0.0, atol=1e-4)
    err = capsys.readouterr().err
    assert "V1" in err and "16/16" in err and "stim/s" in err


def test_the_weights_are_identified_and_no_bar_is_drawn_unless_asked(net, capsys, recorders):
    from v1lab.models import load_model

    _, ds = characterise(net, "0", [GRATINGS], fits=False)
    assert ds.attrs["weights_sha256"] == load_model(net).weights_sha256 and len(ds.attrs["weights_sha256"]) == 64
    assert ds.attrs["model"] == "module:Sequential"
    assert capsys.readouterr().err == ""
    assert recorders == [(torch.device("cpu"), 256)]              # 256 stimuli a pass by default


def test_ppd_roles_criteria_and_response_are_passed_through(net, tmp_path, monkeypatch, recorders):
    monkeypatch.chdir(tmp_path)
    _yaml(tmp_path / "stimuli" / "other.yaml", "other", 2.0)
    units, ds = characterise(net, "0", [GRATINGS, "other"], roles={"luminance_gratings": "gratings"}, ppd=14.0,
                             response="output", criteria={"responsive_fraction_of_max": 1.0}, batch_size=5)
    assert recorders == [(torch.device("cpu"), 5)]
    assert ds.attrs["ppd"] == 14.0 and list(ds.attrs["rf_size_deg"]) == pytest.approx([15 / 14.0] * 2)
    assert ds.attrs["layer"] == "0" and ds.attrs["response"] == "output"
    assert (ds["responses"].values < -1e-3).any()            # the Gabor's output, not rectified
    assert not units["responsive"].any()                     # nothing exceeds all of the layer's largest response
    assert set(ds["set"].values) == {"gratings", "other"}
    assert ds["sf_cpp"].values.max() == pytest.approx(4.0 / 14.0)
    assert (units["ori_vm_status"] == "skipped").all()
    roles = AnalysisRoles(luminance_gratings="gratings")
    fitted, _ = characterise(net, "0", [GRATINGS], roles=roles, ppd=56.0)
    assert fitted.loc[2, "ori_vm_status"] == "skipped" and fitted.loc[0, "ori_vm_status"] != "skipped"


def test_no_stimuli_is_an_error(net):
    with pytest.raises(AnalysisError, match="^stimuli: expected at least one stimulus set$"):
        characterise(net, "0", [])

"""Closed-loop sweeps: the size sweep shown at each unit's own optimum finds the surround suppression a planted
unit has, where a sweep at other spatial frequencies would not (issue 14, after Cavanaugh et al. 2002)."""

from pathlib import Path

import numpy as np
import pytest
import yaml

import v1lab
from v1lab.errors import ProtocolError

HERE = Path(__file__).parent
REPO = HERE.parents[1]
GRATINGS = {"name": "gratings", "family": "grating",
            "fixed": {"color_direction": "luminance", "contrast": 1.0, "aperture": "none"},
            "grid": {"orientation_deg": {"linspace": [0, 180], "num": 8, "endpoint": False},
                     "sf_cpd": {"geomspace": [0.75, 12], "num": 5},
                     "phase_deg": {"linspace": [0, 360], "num": 4, "endpoint": False}}}
SIZE_RF = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 2.0]


def _protocol(tmp, **analyses):
    return {"name": "closed-loop", "model": f"python:{HERE / 'surround_net.py'}:make", "device": "cpu",
            "layers": [{"name": "units", "response": "output"}],
            "stimuli": [{"inline": GRATINGS},
                        {"file": str(REPO / "stimuli" / "size_tuning.yaml"), "at": "preferred", "size_rf": SIZE_RF}],
            "analyses": {"roles": {"luminance_gratings": "gratings", "size_sweep": "size_tuning"}, **analyses},
            "output": {"root": str(tmp / "runs"), "report": False, "batch_size": 64}}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("closed")
    return v1lab.run_protocol(_protocol(tmp), out=tmp / "run", progress=False)


def test_a_divisively_suppressed_gabor_has_its_suppression_measured_at_its_own_optimum(run):
    units = run.units.set_index("channel")
    assert units["optimum_sf_cpd"].tolist() == pytest.approx([6.0, 6.0])
    # full-field gratings drive the iso-oriented surround most at the centre's own orientation, so the
    # suppressed unit's full-field optimum may sit one orientation step away; the plain centre's is 0
    assert units.loc[1, "optimum_orientation_deg"] == 0.0
    assert min(units.loc[0, "optimum_orientation_deg"], 180 - units.loc[0, "optimum_orientation_deg"]) <= 22.5
    assert units.loc[0, "surround_suppression_index"] > 0.5              # centre / (1 + k surround energy)
    assert units.loc[1, "surround_suppression_index"] < 0.05             # the same centre without a surround
    assert units.loc[0, "size_rog_status"] == "ok"
    assert (units["size_peak_amplitude"] > units["response_threshold"]).all()


def test_the_closed_loop_set_holds_only_the_optima_and_the_relative_sizes(run):
    ds = run.responses("units")
    sizes = ds.isel(stimulus=(ds["set"] == "size_tuning").values)
    assert set(sizes["sf_cpd"].values) == {6.0}
    optima = set(run.units["optimum_orientation_deg"])
    assert set(sizes["orientation_deg"].values) == optima     # one copy per distinct optimum, shared
    rf_deg = max(ds.attrs["rf_size_deg"])
    expected = sorted({round(min(k * rf_deg, np.hypot(224, 224) / 28.0), 9) for k in SIZE_RF})
    assert sorted(set(np.round(sizes["size_deg"].values, 9))) == pytest.approx(expected)
    assert ds["closed_loop_sf_cpd"].values.tolist() == [6.0, 6.0]
    assert sizes.sizes["stimulus"] == len(optima) * len(expected) * 4


def test_a_closed_loop_set_needs_a_luminance_sweep(tmp_path):
    data = _protocol(tmp_path)
    data["analyses"]["roles"] = {"size_sweep": "size_tuning"}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProtocolError, match=r"stimuli.1.at'.*luminance_gratings"):
        v1lab.run_protocol(path, progress=False, trust_code=True)
    assert not (tmp_path / "runs").exists()

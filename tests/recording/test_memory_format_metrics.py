"""Issue 8's tolerance for a faster execution mode: the characterised metrics of channels-last recording (the CPU
default) agree with those of contiguous recording to 1e-3 relative, and the classes are the same."""

from pathlib import Path

import numpy as np
import torch

from v1lab.characterise import _COLUMNS, AnalysisRoles, characterise_layer
from v1lab.protocol.runner import record_layer
from v1lab.recording import CentreUnitRecorder
from v1lab.recording.storage import responses_to_dataarray
from v1lab.stimuli import load_stimulus_set

STIMULI = Path(__file__).resolve().parents[2] / "stimuli" / "gratings_osp_quick.yaml"


def _characterise(model, stim, memory_format):
    rec = CentreUnitRecorder(model, "layer1", memory_format=memory_format)
    responses = record_layer(rec, stim, rec.canvas, batch_size=64)
    blank = rec.record(stim.blank(rec.canvas)).numpy()[0]
    data = responses_to_dataarray(responses, stim.params.assign(set=stim.name), layer="layer1",
                                  channels=np.arange(rec.n_channels), attrs={"model": "seeded-resnet"})
    return characterise_layer(data, blank, AnalysisRoles(luminance_gratings=stim.name), fits=False)


def test_channels_last_metrics_agree_with_contiguous_to_1e3(resnet_v1):
    stim = load_stimulus_set(STIMULI)
    plain = _characterise(resnet_v1, stim, torch.contiguous_format)
    fast = _characterise(resnet_v1, stim, torch.channels_last)
    numeric = [c for c in _COLUMNS if plain[c].dtype.kind == "f"]
    assert {"circular_variance", "orientation_bandwidth_deg", "peak_sf_cpd", "modulation_ratio"} <= set(numeric)
    for col in numeric:
        a, b = plain[col].to_numpy(float), fast[col].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=col)
        np.testing.assert_allclose(b[np.isfinite(a)], a[np.isfinite(a)], rtol=1e-3, atol=1e-9, err_msg=col)
    for col in ("responsive", "orientation_selective", "simple", "cell_class"):
        assert plain[col].astype(str).tolist() == fast[col].astype(str).tolist(), col
    assert plain["orientation_selective"].fillna(False).astype(bool).sum() > 0   # metrics are exercised

"""Issue 8's tolerance for a faster execution mode: the characterised metrics of the recorder's fast modes
(channels-last memory order, batch norm folded into the convolutions, and both: the CPU default) agree with those
of the plain mode (contiguous order, the model as it is) to 1e-3 relative (as
:func:`v1lab.agreement.compare_characterisations` defines it), and the classes are the same."""

from pathlib import Path

import numpy as np
import pytest
import torch

from v1lab.agreement import compare_characterisations
from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.recording import CentreUnitRecorder, layer_dataset
from v1lab.stimuli import load_stimulus_set

STIMULI = Path(__file__).resolve().parents[2] / "stimuli" / "gratings_osp_quick.yaml"


def _characterise(model, stim, memory_format, fold, rounding=lambda r: r):
    rec = CentreUnitRecorder(model, "layer1", memory_format=memory_format, fold_batch_norm=fold)
    responses = rounding(rec.record_set(stim, batch_size=64))
    blank = rec.record(stim.blank(rec.canvas)).numpy()[0]
    data = layer_dataset([(stim.name, stim.params, responses)], blank, channels=np.arange(rec.n_channels),
                         attrs={"model": "seeded-resnet", "layer": "layer1"})
    return characterise_layer(data, AnalysisRoles(luminance_gratings=stim.name), fits=False)


@pytest.mark.parametrize("memory_format, fold", [(torch.channels_last, False), (torch.contiguous_format, True),
                                                 (torch.channels_last, True)])
def test_fast_mode_metrics_agree_with_the_plain_mode_to_1e3(resnet_v1, memory_format, fold):
    stim = load_stimulus_set(STIMULI)
    plain = _characterise(resnet_v1, stim, torch.contiguous_format, False)
    fast = _characterise(resnet_v1, stim, memory_format, fold)
    result = compare_characterisations(plain, fast, rtol=1e-3).set_index("column")
    assert {"circular_variance", "orientation_bandwidth_deg", "peak_sf_cpd", "modulation_ratio",
            "orientation_selective", "simple", "cell_class"} <= set(result.index)
    assert result["disagree"].sum() == 0, result[result["disagree"] > 0]
    assert plain["orientation_selective"].fillna(False).astype(bool).sum() > 0   # metrics are exercised


def test_the_check_fails_for_responses_rounded_to_bfloat16(resnet_v1):
    """bfloat16 keeps 8 bits of precision (about 4e-3 relative): the same comparison must flag it."""
    stim = load_stimulus_set(STIMULI)
    plain = _characterise(resnet_v1, stim, torch.contiguous_format, False)
    rounded = _characterise(resnet_v1, stim, torch.contiguous_format, False,
                            rounding=lambda r: torch.as_tensor(r).bfloat16().float().numpy())
    result = compare_characterisations(plain, rounded, rtol=1e-3)
    assert (result.loc[result["kind"] == "metric", "disagree"] > 0).sum() >= 3

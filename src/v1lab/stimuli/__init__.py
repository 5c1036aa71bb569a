"""Visual stimuli for virtual neurophysiology: gratings, bars, Gabors, noise and colour patches.

Stimuli are specified in visual degrees around a centre (:class:`Geometry`), in colour directions of the DKL
cone-opponent space around a grey background (:mod:`v1lab.stimuli.colorimetry`), and rendered on the requested
device as display-sRGB images ``(N, 3, H, W)`` in [0, 1]. Stimulus sets (``stimuli/*.yaml``) are read by
:func:`load_stimulus_set`; see ``docs/stimuli.md``.
"""

from v1lab.stimuli.families import FAMILIES
from v1lab.stimuli.geometry import DEFAULT_PPD, Geometry
from v1lab.stimuli.schema import MAX_STIMULI, parse_stimulus_set
from v1lab.stimuli.stimulus_set import (StimulusSet, blank, build_stimulus_set, load_stimulus_set,
                                        stimulus_set_from_dict)

__all__ = [
    "DEFAULT_PPD",
    "FAMILIES",
    "MAX_STIMULI",
    "Geometry",
    "StimulusSet",
    "blank",
    "build_stimulus_set",
    "load_stimulus_set",
    "parse_stimulus_set",
    "stimulus_set_from_dict",
]

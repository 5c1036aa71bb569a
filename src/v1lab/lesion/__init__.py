"""Inactive units and lesion experiments (issue 7).

Find a layer's inactive units by four definitions (:mod:`v1lab.lesion.inactivity`), silence sets of
channels during the forward pass (:mod:`v1lab.lesion.silencing`) and measure, with paired statistics against
random-set controls (:mod:`v1lab.lesion.stats`), what that does to the network's classification accuracy
(:func:`run_lesion_experiment`). See docs/lesion.md.
"""

from v1lab.lesion.config import LesionConfig, Thresholds
from v1lab.lesion.engine import DatasetImages, ImageSource, LesionEngine, TensorImages
from v1lab.lesion.experiment import LesionResult, config_text, run_lesion_experiment
from v1lab.lesion.inactivity import DEFINITIONS, NaturalStats, inactive_channels, inactivity_table
from v1lab.lesion.sets import (LesionSet, class_sets, inactive_sets, random_controls, read_class_groups,
                               single_unit_sets)
from v1lab.lesion.silencing import ChannelSilencer, SplitNetwork, find_silenced_module, silence, split_network
from v1lab.lesion.stats import Outcomes, PairedComparison, compare_paired, permutation_p, verdict

__all__ = [
    "LesionConfig", "Thresholds",
    "DatasetImages", "ImageSource", "LesionEngine", "TensorImages",
    "LesionResult", "config_text", "run_lesion_experiment",
    "DEFINITIONS", "NaturalStats", "inactive_channels", "inactivity_table",
    "LesionSet", "class_sets", "inactive_sets", "random_controls", "read_class_groups", "single_unit_sets",
    "ChannelSilencer", "SplitNetwork", "find_silenced_module", "silence", "split_network",
    "Outcomes", "PairedComparison", "compare_paired", "permutation_p", "verdict",
]

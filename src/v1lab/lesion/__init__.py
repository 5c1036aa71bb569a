"""Inactive units and lesion experiments (issues 7 and 15).

Find a layer's inactive units by four definitions (:mod:`v1lab.lesion.inactivity`), silence sets of
channels during the forward pass (:mod:`v1lab.lesion.silencing`) and measure what that does to the network's
classification accuracy (:func:`run_lesion_experiment`): paired tests against the unlesioned network
(:mod:`v1lab.lesion.stats`), null sets matched on the property that defines each tested set
(:mod:`v1lab.lesion.sets`) and one Holm family over every test (:mod:`v1lab.lesion.analysis`). See
docs/lesion.md.
"""

from v1lab.lesion.analysis import LesionAnalysis, analyse_lesions, training_overlap_note
from v1lab.lesion.config import LesionConfig, Thresholds
from v1lab.lesion.engine import DatasetImages, ImageSource, LesionEngine, TensorImages
from v1lab.lesion.experiment import LesionResult, config_text, run_lesion_experiment
from v1lab.lesion.inactivity import DEFINITIONS, NaturalStats, inactive_channels, inactivity_table
from v1lab.lesion.sets import (NULLS, LesionSet, class_sets, inactive_sets, match_quality, match_strata,
                               matched_controls, random_controls, read_class_groups, single_unit_sets)
from v1lab.lesion.silencing import ChannelSilencer, SplitNetwork, find_silenced_module, silence, split_network
from v1lab.lesion.null import NullSummary, compare_to_null, permutation_p, verdict
from v1lab.lesion.stats import Outcomes, PairedComparison, compare_paired, paired_difference_ci

__all__ = [
    "LesionAnalysis", "analyse_lesions", "training_overlap_note",
    "LesionConfig", "Thresholds",
    "DatasetImages", "ImageSource", "LesionEngine", "TensorImages",
    "LesionResult", "config_text", "run_lesion_experiment",
    "DEFINITIONS", "NaturalStats", "inactive_channels", "inactivity_table",
    "NULLS", "LesionSet", "class_sets", "inactive_sets", "match_quality", "match_strata", "matched_controls",
    "random_controls", "read_class_groups", "single_unit_sets",
    "ChannelSilencer", "SplitNetwork", "find_silenced_module", "silence", "split_network",
    "NullSummary", "Outcomes", "PairedComparison", "compare_paired", "compare_to_null", "paired_difference_ci",
    "permutation_p", "verdict",
]

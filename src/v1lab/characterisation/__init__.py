"""Characterisation: one layer's responses to the protocol's stimulus sets -> one units-table row per unit.

Each analysis role has its analyser, a function of the role's set and the blank that returns the columns it
declares in :mod:`v1lab.units` and the tuning curves it asks to be fitted:

* ``luminance_gratings`` (:mod:`~v1lab.characterisation.luminance`): orientation, modulation and SF metrics;
* ``chromatic_gratings`` and ``matched_luminance_gratings`` (:mod:`~v1lab.characterisation.chromatic`);
* ``uniform_fields`` (:mod:`~v1lab.characterisation.uniform`);
* ``size_sweep`` and ``contrast_sweep`` (:mod:`~v1lab.characterisation.sweeps`).

:func:`characterise_layer` runs them, fits every requested curve of the responsive units in one batch per
model (:class:`v1lab.fits.FitBatch`), and adds the ratios and the classes (:mod:`v1lab.classify`);
:func:`tuning_curves` returns the curves the analysers measured, per unit (for figures of example units).
"""

from v1lab.characterisation.curves import CURVES, TuningCurves, tuning_curves
from v1lab.characterisation.layer import ANALYSERS, characterise_layer
from v1lab.characterisation.roles import STIMULUS_PARAMETERS, AnalysisRoles

__all__ = ["ANALYSERS", "AnalysisRoles", "CURVES", "STIMULUS_PARAMETERS", "TuningCurves", "characterise_layer",
           "tuning_curves"]

"""v1lab: a virtual neurophysiology lab for convolutional networks.

Show a network the stimuli a physiologist shows a V1 cell (gratings, bars, colour patches inside the
receptive field), record the centre unit of every channel, and characterise the units as V1 cells are
characterised: tuning curves, simple/complex, orientation selectivity, colour opponency.

The Python API (see ``docs/tutorial.md``):

* :func:`load_model` - a model from a spec string (``"resnet50-caffe"``) or a plain ``torch.nn.Module``;
* :func:`run_protocol` - run a protocol file (or mapping) into a new run folder, return the :class:`Run`;
* :func:`load_run` - open a finished run: ``Run.units``, ``Run.responses(layer)``, ``Run.population``, ...;
* :func:`characterise` - characterise one layer in memory, without a run folder.

The names are imported on first use, so ``import v1lab`` (and ``v1lab --help``) stays quick.
"""

import importlib

__version__ = "0.2.0"

_API = {"Run": "v1lab.runs", "characterise": "v1lab.characterisation.in_memory", "load_model": "v1lab.models",
        "load_run": "v1lab.runs", "run_protocol": "v1lab.protocol"}
__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'v1lab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))

"""Domain errors: every user-facing failure is one of these, with a one-line message.

The command line turns a :class:`V1labError` into a single line on stderr and exit code 2
(``v1lab.cli.main``). Messages name the file or object, the field, the value received and what was
expected, so a user can fix the input without reading a traceback.
"""

import reprlib

__all__ = [
    "short_repr",
    "V1labError",
    "ModelError",
    "WeightsUnavailableError",
    "ImageFolderError",
    "LayerError",
    "RecordingError",
    "ReceptiveFieldError",
    "StimulusError",
    "GamutError",
    "ProtocolError",
    "RunFolderError",
    "AnalysisError",
    "ReferenceDataError",
    "UnitsTableError",
    "UntrustedCodeError",
    "StorageError",
]

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 4, 4, 40, 40, 40


def short_repr(value, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, without building the full text of a large value."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class V1labError(ValueError):
    """Base class of the errors the command line reports in one line (exit code 2)."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ModelError(V1labError):
    """A model spec that cannot be parsed or built."""


class WeightsUnavailableError(ModelError):
    """Weights that are not on disk and cannot be fetched (e.g. no network)."""


class ImageFolderError(V1labError):
    """An image folder that is missing, empty, laid out unexpectedly, or holds an unreadable image."""


class LayerError(V1labError):
    """A layer name that the model does not have."""


class StimulusError(V1labError):
    """A stimulus parameter outside what can be rendered."""


class GamutError(StimulusError):
    """A colour request outside the sRGB gamut (never clipped silently)."""


class ProtocolError(V1labError):
    """A protocol or stimulus-set file that does not match its schema."""


class UntrustedCodeError(ProtocolError):
    """A protocol file whose model would run Python code, read without ``--trust-code``."""


class RunFolderError(V1labError):
    """A run folder that cannot be created, resumed or read."""


class StorageError(RunFolderError):
    """A result file that cannot be written: no space left on the device, no permission, a read-only disk."""


class ReferenceDataError(V1labError):
    """A biological reference that is unknown, or a reference data file that does not match its schema."""


class UnitsTableError(V1labError):
    """A per-unit table (``units.csv``) that lacks a column or holds values of the wrong kind."""


class RecordingError(V1labError):
    """A recording request the network cannot serve (training mode, wrong image size, unknown device)."""


class AnalysisError(V1labError):
    """Responses, a tuning curve or analysis settings that a metric, fit or classifier cannot use."""


class ReceptiveFieldError(LayerError):
    """A layer whose receptive field cannot be read from the module graph (an operation not understood)."""

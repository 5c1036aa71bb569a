"""Recording: layer names, receptive fields, the centre-unit recorder (crop + truncated forward), storage.

See ``docs/recording.md`` for the response modes, the receptive-field arithmetic and the argument that
the fast path (crop + truncation) changes no number.
"""

from v1lab.recording.batching import is_out_of_memory, map_batches, resolve_device
from v1lab.recording.layers import RESPONSE_MODES, check_response_mode, layer_names, resolve_layer
from v1lab.recording.receptive_field import (
    ReceptiveField,
    analytic_receptive_field,
    empirical_receptive_field,
    receptive_field,
)
from v1lab.recording.recorder import CentreUnitRecorder, grid_offsets
from v1lab.recording.storage import load_responses, responses_to_dataarray, save_responses

__all__ = [
    "RESPONSE_MODES",
    "CentreUnitRecorder",
    "ReceptiveField",
    "analytic_receptive_field",
    "check_response_mode",
    "empirical_receptive_field",
    "grid_offsets",
    "is_out_of_memory",
    "layer_names",
    "load_responses",
    "map_batches",
    "receptive_field",
    "resolve_device",
    "resolve_layer",
    "responses_to_dataarray",
    "save_responses",
]

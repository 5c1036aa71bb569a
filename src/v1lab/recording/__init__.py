"""Recording: layer names, receptive fields, the centre-unit recorder (crop + truncated forward), the memory
budget that sizes its batches, and the responses of record (one Dataset per layer).

See ``docs/recording.md`` for the response modes, the receptive-field arithmetic and the argument that
the fast path (crop + truncation) changes no number.
"""

from v1lab.recording.capture import UnitCapture
from v1lab.recording.batching import is_out_of_memory, map_batches, resolve_device
from v1lab.recording.layers import RESPONSE_MODES, check_response_mode, layer_names, resolve_layer
from v1lab.recording.empirical_rf import empirical_receptive_field
from v1lab.recording.receptive_field import ReceptiveField, analytic_receptive_field, receptive_field
from v1lab.recording.recorder import CentreUnitRecorder, grid_offsets
from v1lab.recording.dataset import CONVENTIONS, layer_dataset, load_layer, save_layer, stimulus_table
from v1lab.recording.memory import MemoryPlan, plan_memory

__all__ = [
    "CONVENTIONS",
    "RESPONSE_MODES",
    "CentreUnitRecorder",
    "MemoryPlan",
    "ReceptiveField",
    "UnitCapture",
    "analytic_receptive_field",
    "check_response_mode",
    "empirical_receptive_field",
    "grid_offsets",
    "is_out_of_memory",
    "layer_names",
    "layer_dataset",
    "load_layer",
    "map_batches",
    "plan_memory",
    "receptive_field",
    "resolve_device",
    "resolve_layer",
    "save_layer",
    "stimulus_table",
]

"""Protocols: a virtual experiment as a YAML file, validated by one schema, prepared and run.

:func:`load_protocol` / :func:`parse_protocol` validate a file or a mapping into a :class:`Protocol`;
:func:`prepare_run` checks everything a run needs without running it; :func:`run_protocol` runs it into a new
run folder and returns the :class:`~v1lab.runs.Run`. See ``docs/protocols.md``.
"""

from v1lab.protocol.loading import apply_overrides, load_protocol, parse_protocol
from v1lab.protocol.prepare import PreparedRun, prepare_run
from v1lab.protocol.runner import protocol_text, run_protocol
from v1lab.protocol.schema import AnalysisConfig, LayerSpec, OutputConfig, Protocol, StimulusRef, UnitSelection
from v1lab.protocol.validate import validate_protocol

__all__ = [
    "AnalysisConfig", "LayerSpec", "OutputConfig", "Protocol", "StimulusRef", "UnitSelection", "PreparedRun",
    "apply_overrides", "load_protocol", "parse_protocol", "prepare_run", "protocol_text", "run_protocol",
    "validate_protocol",
]

"""A protocol as a mapping that runs from any working directory: stimulus files named by absolute paths."""

from __future__ import annotations

from pathlib import Path

from v1lab.errors import ProtocolError
from v1lab.safe_yaml import read_yaml
from v1lab.protocol.stimulus_files import find_stimulus_file

__all__ = ["portable_protocol"]


def portable_protocol(protocol) -> dict:
    """``protocol`` (a path or a mapping) as a mapping whose ``stimuli`` entries name absolute files.

    Files are resolved as :func:`v1lab.protocol.stimulus_files.find_stimulus_file` resolves them for the protocol's
    own file (a mapping: from the current directory), so the mapping can be run elsewhere, e.g. by a Ray worker
    whose working directory differs, or after a ``chdir``. Inline sets are kept as they are.
    """
    if isinstance(protocol, (str, Path)):
        path = Path(protocol).resolve()
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise ProtocolError(f"{path}: expected a mapping, got {type(data).__name__}")
    else:
        path, data = Path.cwd() / "<protocol>", dict(protocol)
    stimuli = []
    for ref in data.get("stimuli") or []:
        name = ref if isinstance(ref, str) else ref.get("file") if isinstance(ref, dict) else None
        if name is None:
            stimuli.append(ref)
            continue
        file = str(find_stimulus_file(str(name), path).resolve())
        stimuli.append(file if isinstance(ref, str) else {**ref, "file": file})
    return {**data, "stimuli": stimuli}

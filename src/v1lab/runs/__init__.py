"""Run folders: where a run's results live, how they are written (atomically) and how a finished run is opened.

* :class:`RunFolder` creates a new folder (never over an earlier one), resumes an interrupted one and keeps
  its ``manifest.json`` (model, weights sha256, versions, seed, protocol, status);
* :func:`atomic_path`, :func:`write_text`, :func:`write_json`: a file appears whole or not at all;
* :func:`load_run` opens a finished run as a :class:`Run` (units table, responses per layer, population and
  comparison tables, manifest, report).
"""

from v1lab.runs.atomic import atomic_path, write_json, write_text
from v1lab.runs.folder import RunFolder, package_versions
from v1lab.runs.run import Run, load_run

__all__ = ["RunFolder", "Run", "load_run", "package_versions", "atomic_path", "write_text", "write_json"]

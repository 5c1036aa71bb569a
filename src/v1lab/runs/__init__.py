"""Run folders: where a run's results live, how they are written (atomically) and how a finished run is opened.

* :class:`RunFolder` creates a new folder (never over an earlier one), resumes an interrupted one, holds its
  lock and keeps its ``manifest.json`` (model, weights sha256, versions, seed, protocol, status);
* :func:`recording` marks a run ``interrupted`` (SIGINT, SIGTERM: :class:`RunInterrupted`) or ``failed``;
* :func:`atomic_path`, :func:`write_text`, :func:`write_json`: a file appears whole or not at all;
* :func:`load_run` opens a finished run as a :class:`Run` (units table, responses per layer, population and
  comparison tables, manifest, report).
"""

from v1lab.runs.atomic import atomic_path, write_bytes, write_json, write_text
from v1lab.runs.folder import STATUSES, RunFolder, package_versions
from v1lab.runs.run import Run, load_run, read_table
from v1lab.runs.session import RunInterrupted, marking, recording, resume_command

__all__ = ["RunFolder", "STATUSES", "Run", "load_run", "read_table", "package_versions", "RunInterrupted", "recording",
           "marking", "resume_command", "atomic_path", "write_bytes", "write_text", "write_json"]

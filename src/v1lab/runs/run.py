"""A run folder opened for reading: :class:`Run` and :func:`load_run`."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pandas as pd

from v1lab.errors import RunFolderError, UnitsTableError
from v1lab.safe_yaml import load_yaml

__all__ = ["Run", "load_run", "read_table"]


def read_table(path: Path) -> pd.DataFrame:
    """A CSV table of a run: an empty file is an empty table, an unreadable one a one-line RunFolderError."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path}: unreadable CSV ({str(exc).splitlines()[0]})") from None


class Run:
    """A run folder written by ``v1lab run`` (or :func:`v1lab.run_protocol`), opened for reading.

    Attributes
    ----------
    path : pathlib.Path
        The folder, as an absolute path.
    manifest : dict
        ``manifest.json``: model, weights sha256, versions, device, seed, protocol, status, timings.

    Examples
    --------
    >>> run = load_run("runs/quick-20261130-101500")        # doctest: +SKIP
    >>> run.units.groupby("layer")["orientation_selective"].mean()  # doctest: +SKIP
    >>> run.responses("conv1").sel(stimulus=run.responses("conv1").set == "gratings_osp_quick")  # doctest: +SKIP
    """

    def __init__(self, path):
        from v1lab.runs.folder import RunFolder

        self.path = Path(path).absolute()
        if not self.path.is_dir():
            raise RunFolderError(f"{self.path}: not a folder; expected a run folder written by `v1lab run`")
        self._folder = RunFolder(self.path)
        self.manifest = self._folder.read_manifest()

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, status={self.status!r}, layers={self.layers})"

    @property
    def status(self) -> str:
        """``running``, ``complete``, ``interrupted`` or ``failed`` (as the manifest says; see
        :data:`v1lab.runs.folder.STATUSES`)."""
        return str(self.manifest.get("status", "unknown"))

    @cached_property
    def protocol_text(self) -> str:
        """The effective protocol as stored: ``protocol.yaml``, else the manifest's copy."""
        path = self.path / "protocol.yaml"
        return path.read_text(encoding="utf-8") if path.is_file() else self.manifest.get("protocol") or ""

    @cached_property
    def protocol(self) -> dict:
        """The effective protocol as a mapping."""
        path = self.path / "protocol.yaml"
        data = load_yaml(self.protocol_text, str(path), RunFolderError) or {}
        if not isinstance(data, dict):
            raise RunFolderError(f"{path}: expected a mapping, got {type(data).__name__}")
        return data

    @property
    def layers(self) -> list[str]:
        """The layer labels, in the protocol's (network) order."""
        out = []
        for spec in self.protocol.get("layers") or []:
            out.append(spec.get("label") or spec.get("name") if isinstance(spec, dict) else str(spec))
        return out

    @cached_property
    def units(self) -> pd.DataFrame:
        """The units table (:mod:`v1lab.units`), one row per unit, in its declared dtypes."""
        from v1lab.units import read_units

        try:
            return read_units(self.path)
        except UnitsTableError as exc:
            version = (self.manifest.get("versions") or {}).get("v1lab", "unknown")
            raise RunFolderError(f"{exc} (this run was written by v1lab {version}; read it with "
                                 "v1lab.units.read_units(path, strict=False))") from None

    def responses(self, layer: str):
        """One layer's responses to every stimulus set as one :class:`xarray.Dataset` (see
        :mod:`v1lab.recording.dataset`), with ``stimulus_id`` as the index of the stimulus dimension."""
        from v1lab.recording.dataset import load_layer

        if layer not in self.layers:
            raise RunFolderError(f"{self.path}: no layer {layer!r}; expected one of {self.layers}")
        ds = load_layer(self._folder.layer_path(layer))
        return ds.set_xindex("stimulus_id")

    def table(self, name: str) -> pd.DataFrame:
        """A CSV table of the run by its stem (``population``, ``comparison``, ``depth_tests``, ...)."""
        path = self.path / f"{name}.csv"
        if not path.is_file():
            raise RunFolderError(f"{path}: no such table (status {self.status!r})")
        return read_table(path)

    @property
    def population(self) -> pd.DataFrame:
        """Class fractions with Wilson intervals and metric medians per layer (``population.csv``)."""
        return self.table("population")

    @property
    def comparison(self) -> pd.DataFrame:
        """Similarity of each layer to each macaque reference (``comparison.csv``)."""
        return self.table("comparison")

    @property
    def report_path(self) -> Path | None:
        """``report.html``, or None when the run has no report."""
        path = self.path / "report.html"
        return path if path.is_file() else None


def load_run(path) -> Run:
    """Open a run folder for reading (:class:`Run`); :class:`~v1lab.errors.RunFolderError` if it is not one."""
    return Run(path)
